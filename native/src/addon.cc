// Addon entry point: collects the bindings of every translation unit.
#include "common.h"

namespace mmgen {
// declared here, not in common.h, so adding c10d does not recompile every binding
void RegisterDistributed(Napi::Env env, Napi::Object exports);
}

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  mmgen::RegisterTable(env, exports);
  mmgen::RegisterCreate(env, exports);
  mmgen::RegisterMath(env, exports);
  mmgen::RegisterShape(env, exports);
  mmgen::RegisterNN(env, exports);
  mmgen::RegisterAutograd(env, exports);
  mmgen::RegisterLinalg(env, exports);
  mmgen::RegisterDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(mmgen_native, InitAddon)
