// Addon entry point: collects the bindings of every translation unit.
#include "common.h"

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  mmgen::RegisterTable(env, exports);
  mmgen::RegisterCreate(env, exports);
  mmgen::RegisterMath(env, exports);
  mmgen::RegisterShape(env, exports);
  mmgen::RegisterNN(env, exports);
  mmgen::RegisterAutograd(env, exports);
  mmgen::RegisterLinalg(env, exports);
  return exports;
}

NODE_API_MODULE(mmgen_native, InitAddon)
