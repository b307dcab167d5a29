// Tensor creation and random sampling. Every random op takes an optional generator handle
// (-1/null = libtorch's default generator, seeded by manualSeed) so runs are reproducible.
#include "common.h"

namespace mmgen {

static at::TensorOptions Options(const Napi::CallbackInfo& info, size_t i) {
  return at::TensorOptions().dtype(Missing(info, i) ? at::kFloat : DT(info, i));
}

MMGEN_FN(zeros) { return Ret(info, at::zeros(IL(info, 0), Options(info, 1))); }
MMGEN_FN(ones) { return Ret(info, at::ones(IL(info, 0), Options(info, 1))); }
MMGEN_FN(empty) { return Ret(info, at::empty(IL(info, 0), Options(info, 1))); }
MMGEN_FN(full) { return Ret(info, at::full(IL(info, 0), D(info, 1), Options(info, 2))); }
MMGEN_FN(scalarTensor) { return Ret(info, at::scalar_tensor(D(info, 0), Options(info, 1))); }
MMGEN_FN(arange) { return Ret(info, at::arange(D(info, 0), D(info, 1), D(info, 2), Options(info, 3))); }
MMGEN_FN(linspace) { return Ret(info, at::linspace(D(info, 0), D(info, 1), I(info, 2), Options(info, 3))); }
MMGEN_FN(eye) { return Ret(info, at::eye(I(info, 0), I(info, 1), Options(info, 2))); }

// rand(shape, dtype, generator)
MMGEN_FN(rand) { return Ret(info, at::rand(IL(info, 0), Gen(info, 2), Options(info, 1))); }
MMGEN_FN(randn) { return Ret(info, at::randn(IL(info, 0), Gen(info, 2), Options(info, 1))); }
// randint(low, high, shape, dtype, generator)
MMGEN_FN(randint) {
  return Ret(info, at::randint(I(info, 0), I(info, 1), IL(info, 2), Gen(info, 4), at::TensorOptions().dtype(Missing(info, 3) ? at::kLong : DT(info, 3))));
}
// randperm(n, generator)
MMGEN_FN(randperm) { return Ret(info, at::randperm(I(info, 0), Gen(info, 1), at::TensorOptions().dtype(at::kLong))); }
// multinomial(probs, samples, replacement, generator)
MMGEN_FN(multinomial) { return Ret(info, at::multinomial(T(info, 0), I(info, 1), B(info, 2), Gen(info, 3))); }
// bernoulli(probs, generator)
MMGEN_FN(bernoulli) { return Ret(info, at::bernoulli(T(info, 0), Gen(info, 1))); }
// normal(mean, std, shape, dtype, generator)
MMGEN_FN(normal) {
  at::Tensor out = at::empty(IL(info, 2), Options(info, 3));
  out.normal_(D(info, 0), D(info, 1), Gen(info, 4));
  return Ret(info, out);
}
// In place, for initialisers: uniform_(t, low, high, generator), normal_(t, mean, std, generator)
MMGEN_FN(uniformInPlace) {
  at::NoGradGuard guard;
  T(info, 0).uniform_(D(info, 1), D(info, 2), Gen(info, 3));
  return info.Env().Undefined();
}
MMGEN_FN(normalInPlace) {
  at::NoGradGuard guard;
  T(info, 0).normal_(D(info, 1), D(info, 2), Gen(info, 3));
  return info.Env().Undefined();
}
MMGEN_FN(fillInPlace) {
  at::NoGradGuard guard;
  T(info, 0).fill_(D(info, 1));
  return info.Env().Undefined();
}
// copyInPlace(dst, src): used by loadStateDict, EMA and optimisers, outside autograd.
MMGEN_FN(copyInPlace) {
  at::NoGradGuard guard;
  T(info, 0).copy_(T(info, 1));
  return info.Env().Undefined();
}
// orthogonal init via QR, as torch.nn.init.orthogonal_
MMGEN_FN(orthogonalInPlace) {
  at::NoGradGuard guard;
  at::Tensor& tensor = T(info, 0);
  int64_t rows = tensor.size(0);
  int64_t cols = tensor.numel() / rows;
  at::Tensor flat = at::empty({rows, cols}).normal_(0, 1, Gen(info, 2));
  if (rows < cols) flat = flat.t();
  auto qr = at::linalg_qr(flat);
  at::Tensor q = std::get<0>(qr);
  at::Tensor r = std::get<1>(qr);
  q = q * at::sign(at::diagonal(r, 0, -2, -1));
  if (rows < cols) q = q.t();
  tensor.view({rows, cols}).copy_(q * D(info, 1));
  return info.Env().Undefined();
}

void RegisterCreate(Napi::Env env, Napi::Object exports) {
  MMGEN_EXPORT(exports, zeros);
  MMGEN_EXPORT(exports, ones);
  MMGEN_EXPORT(exports, empty);
  MMGEN_EXPORT(exports, full);
  MMGEN_EXPORT(exports, scalarTensor);
  MMGEN_EXPORT(exports, arange);
  MMGEN_EXPORT(exports, linspace);
  MMGEN_EXPORT(exports, eye);
  MMGEN_EXPORT(exports, rand);
  MMGEN_EXPORT(exports, randn);
  MMGEN_EXPORT(exports, randint);
  MMGEN_EXPORT(exports, randperm);
  MMGEN_EXPORT(exports, multinomial);
  MMGEN_EXPORT(exports, bernoulli);
  MMGEN_EXPORT(exports, normal);
  MMGEN_EXPORT(exports, uniformInPlace);
  MMGEN_EXPORT(exports, normalInPlace);
  MMGEN_EXPORT(exports, fillInPlace);
  MMGEN_EXPORT(exports, copyInPlace);
  MMGEN_EXPORT(exports, orthogonalInPlace);
}

}  // namespace mmgen
