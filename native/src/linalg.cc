// Linear algebra used by evaluation (Fréchet distance needs a symmetric eigendecomposition).
#include "common.h"

namespace mmgen {

// eigh(t) -> [eigenvalues ascending, eigenvectors as columns], for symmetric matrices
MMGEN_FN(eigh) {
  auto result = at::linalg_eigh(T(info, 0));
  return RetList(info, {std::get<0>(result), std::get<1>(result)});
}
MMGEN_FN(svdvals) { return Ret(info, at::linalg_svdvals(T(info, 0))); }

void RegisterLinalg(Napi::Env env, Napi::Object exports) {
  MMGEN_EXPORT(exports, eigh);
  MMGEN_EXPORT(exports, svdvals);
}

}  // namespace mmgen
