// Elementwise math, comparisons, reductions and matrix products. Unary and binary ops are
// dispatched by an op code (the tables in src/tensor/ops.ts list the same codes in order) to
// keep one binding, and one N-API call, per op.
#include "common.h"
#include <ATen/ScalarOps.h>
#include <algorithm>
#include <limits>
#include <cmath>

namespace mmgen {

static at::Scalar ScalarFor(const at::Tensor& tensor, double value) {
  // an integral tensor combined with an integral number stays integral, as in PyTorch
  // (the range check comes first: casting an infinite or huge double to int64 is undefined)
  if (!at::isFloatingType(tensor.scalar_type()) && !tensor.is_complex() && std::isfinite(value) && std::abs(value) < 9.2e18 &&
      value == static_cast<double>(static_cast<int64_t>(value))) {
    return at::Scalar(static_cast<int64_t>(value));
  }
  return at::Scalar(value);
}

static at::Tensor Unary(int code, const at::Tensor& x) {
  switch (code) {
    case 0: return at::neg(x);
    case 1: return at::abs(x);
    case 2: return at::exp(x);
    case 3: return at::log(x);
    case 4: return at::log1p(x);
    case 5: return at::expm1(x);
    case 6: return at::sqrt(x);
    case 7: return at::rsqrt(x);
    case 8: return at::sin(x);
    case 9: return at::cos(x);
    case 10: return at::tanh(x);
    case 11: return at::sigmoid(x);
    case 12: return at::relu(x);
    case 13: return at::gelu(x);
    case 14: return at::silu(x);
    case 15: return at::softplus(x);
    case 16: return at::sign(x);
    case 17: return at::floor(x);
    case 18: return at::ceil(x);
    case 19: return at::round(x);
    case 20: return at::reciprocal(x);
    case 21: return at::square(x);
    case 22: return at::erf(x);
    case 23: return at::logical_not(x);
    case 24: return at::log_sigmoid(x);
    case 25: return at::angle(x);
    case 26: return at::view_as_real(x);
    case 27: return at::view_as_complex(x);
    case 28: return at::isnan(x);
    case 29: return at::isfinite(x);
    case 30: return at::gelu(x, "tanh");
    case 31: return at::atan(x);
    case 32: return at::log2(x);
    case 33: return at::real(x);
    case 34: return at::imag(x);
    case 35: return at::conj_physical(x);
    default: throw std::runtime_error("unknown unary op code " + std::to_string(code));
  }
}

static at::Tensor Binary(int code, const at::Tensor& a, const at::Tensor& b) {
  switch (code) {
    case 0: return at::add(a, b);
    case 1: return at::sub(a, b);
    case 2: return at::mul(a, b);
    case 3: return at::div(a, b);
    case 4: return at::pow(a, b);
    case 5: return at::maximum(a, b);
    case 6: return at::minimum(a, b);
    case 7: return at::eq(a, b);
    case 8: return at::ne(a, b);
    case 9: return at::lt(a, b);
    case 10: return at::le(a, b);
    case 11: return at::gt(a, b);
    case 12: return at::ge(a, b);
    case 13: return at::logical_and(a, b);
    case 14: return at::logical_or(a, b);
    case 15: return at::atan2(a, b);
    case 16: return at::remainder(a, b);
    case 17: return at::floor_divide(a, b);
    case 18: return at::logical_xor(a, b);
    case 19: return at::sub(b, a);
    case 20: return at::div(b, a);
    case 21: return at::pow(b, a);
    case 22: return at::polar(a, b);
    default: throw std::runtime_error("unknown binary op code " + std::to_string(code));
  }
}

// The number as a 0-dim "wrapped number" tensor already in a's dtype, or nothing when that could
// change the result. libtorch's Tensor-Scalar overloads wrap the number as a double/int64 tensor and
// cast it to a's dtype inside TensorIterator: an extra allocation and copy kernel that made x.add(1)
// cost ~2x x.mul(x). Wrapped numbers take no part in type promotion, so results are identical.
static c10::optional<at::Tensor> WrappedLike(const at::Tensor& a, const at::Scalar& s) {
  at::ScalarType type = a.scalar_type();
  if (!a.is_cpu()) return c10::nullopt;
  if (type == at::kFloat || type == at::kDouble) {
    if (s.isComplex() || s.isBoolean()) return c10::nullopt;
    double value = s.toDouble();
    // a finite double beyond float's range would be refused by the conversion check; let libtorch handle it
    if (type == at::kFloat && std::isfinite(value) && std::abs(value) > std::numeric_limits<float>::max()) return c10::nullopt;
  } else if (type != at::kLong || !s.isIntegral(false)) {
    return c10::nullopt;
  }
  at::Tensor wrapped = at::detail::scalar_tensor_static(s, type, at::kCPU);
  wrapped.unsafeGetTensorImpl()->set_wrapped_number(true);
  return wrapped;
}

static at::Tensor BinaryScalar(int code, const at::Tensor& a, const at::Scalar& s) {
  switch (code) {
    case 0: case 1: case 2: case 3: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 17: case 19: case 20: {
      c10::optional<at::Tensor> wrapped = WrappedLike(a, s);
      if (!wrapped) break;
      const at::Tensor& b = *wrapped;
      switch (code) {
        case 0: return at::add(a, b);
        case 1: return at::sub(a, b);
        case 2: return at::mul(a, b);
        case 3: return at::div(a, b);
        case 7: return at::eq(a, b);
        case 8: return at::ne(a, b);
        case 9: return at::lt(a, b);
        case 10: return at::le(a, b);
        case 11: return at::gt(a, b);
        case 12: return at::ge(a, b);
        case 16: return at::remainder(a, b);
        case 17: return at::floor_divide(a, b);
        case 19: return at::sub(b, a);
        default: return at::div(b, a);
      }
    }
    default: break;
  }
  switch (code) {
    case 0: return at::add(a, s);
    case 1: return at::sub(a, s);
    case 2: return at::mul(a, s);
    case 3: return at::div(a, s);
    case 4: return at::pow(a, s);
    case 5: return at::clamp_min(a, s);
    case 6: return at::clamp_max(a, s);
    case 7: return at::eq(a, s);
    case 8: return at::ne(a, s);
    case 9: return at::lt(a, s);
    case 10: return at::le(a, s);
    case 11: return at::gt(a, s);
    case 12: return at::ge(a, s);
    case 16: return at::remainder(a, s);
    case 17: return at::floor_divide(a, s);
    case 19: return at::rsub(a, s);
    case 20: return at::div(at::native::wrapped_scalar_tensor(s), a);
    case 21: return at::pow(s, a);
    default: throw std::runtime_error("binary op code " + std::to_string(code) + " has no scalar form");
  }
}

MMGEN_FN(unary) { return Ret(info, Unary(static_cast<int>(I(info, 0)), T(info, 1))); }
MMGEN_FN(binary) { return Ret(info, Binary(static_cast<int>(I(info, 0)), T(info, 1), T(info, 2))); }
MMGEN_FN(binaryScalar) {
  at::Tensor& a = T(info, 1);
  return Ret(info, BinaryScalar(static_cast<int>(I(info, 0)), a, ScalarFor(a, D(info, 2))));
}
// addScaled(a, b, alpha) = a + alpha * b, one kernel
MMGEN_FN(addScaled) { return Ret(info, at::add(T(info, 0), T(info, 1), D(info, 2))); }

MMGEN_FN(clamp) {
  at::Tensor& x = T(info, 0);
  c10::optional<at::Scalar> low, high;
  if (!Missing(info, 1)) low = ScalarFor(x, D(info, 1));
  if (!Missing(info, 2)) high = ScalarFor(x, D(info, 2));
  return Ret(info, at::clamp(x, low, high));
}
MMGEN_FN(where) {
  return Ret(info, at::where(T(info, 0), T(info, 1), T(info, 2)));
}
MMGEN_FN(leakyRelu) { return Ret(info, at::leaky_relu(T(info, 0), D(info, 1))); }
MMGEN_FN(elu) { return Ret(info, at::elu(T(info, 0), D(info, 1))); }
MMGEN_FN(softplus) { return Ret(info, at::softplus(T(info, 0), D(info, 1), D(info, 2))); }
MMGEN_FN(hardtanh) { return Ret(info, at::hardtanh(T(info, 0), D(info, 1), D(info, 2))); }

// reduce(code, t, dims, keepdim, extra): dims empty = all dims
MMGEN_FN(reduce) {
  int code = static_cast<int>(I(info, 0));
  at::Tensor& x = T(info, 1);
  std::vector<int64_t> dims = IL(info, 2);
  bool keepdim = B(info, 3);
  bool all = dims.empty();
  if (all) {
    for (int64_t k = 0; k < x.dim(); k++) dims.push_back(k);
  }
  switch (code) {
    case 0: return Ret(info, all && !keepdim ? at::sum(x) : at::sum(x, dims, keepdim));
    case 1: return Ret(info, all && !keepdim ? at::mean(x) : at::mean(x, dims, keepdim));
    case 2: return Ret(info, at::amax(x, dims, keepdim));
    case 3: return Ret(info, at::amin(x, dims, keepdim));
    case 4: return Ret(info, at::logsumexp(x, dims, keepdim));
    case 5: return Ret(info, at::var(x, at::OptionalIntArrayRef(dims), static_cast<int64_t>(D(info, 4)), keepdim));
    case 6: return Ret(info, at::std(x, at::OptionalIntArrayRef(dims), static_cast<int64_t>(D(info, 4)), keepdim));
    case 7: {
      // at::prod takes one dim: reduce the highest axis first so the lower ones keep their numbers
      std::vector<int64_t> axes;
      for (int64_t dim : dims) axes.push_back(c10::maybe_wrap_dim(dim, x.dim()));
      std::sort(axes.rbegin(), axes.rend());
      axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
      if (all && !keepdim) return Ret(info, at::prod(x));
      at::Tensor out = x;
      for (int64_t axis : axes) out = at::prod(out, axis, keepdim);
      return Ret(info, out);
    }
    case 8: return Ret(info, at::norm(x, at::Scalar(D(info, 4)), dims, keepdim));
    case 9: return Ret(info, all && !keepdim ? at::all(x) : at::all(x.to(at::kBool), dims[0], keepdim));
    case 10: return Ret(info, all && !keepdim ? at::any(x) : at::any(x.to(at::kBool), dims[0], keepdim));
    default: throw std::runtime_error("unknown reduction code " + std::to_string(code));
  }
}

// argReduce(isMax, t, dim|null, keepdim)
MMGEN_FN(argReduce) {
  at::Tensor& x = T(info, 1);
  c10::optional<int64_t> dim = OptI(info, 2);
  bool keepdim = B(info, 3);
  return Ret(info, B(info, 0) ? at::argmax(x, dim, keepdim) : at::argmin(x, dim, keepdim));
}

// maxDim(isMax, t, dim, keepdim) -> [values, indices]
MMGEN_FN(maxDim) {
  auto result = B(info, 0) ? at::max(T(info, 1), I(info, 2), B(info, 3)) : at::min(T(info, 1), I(info, 2), B(info, 3));
  return RetList(info, {std::get<0>(result), std::get<1>(result)});
}

MMGEN_FN(sort) {
  auto result = at::sort(T(info, 0), I(info, 1), B(info, 2));
  return RetList(info, {std::get<0>(result), std::get<1>(result)});
}
MMGEN_FN(topk) {
  auto result = at::topk(T(info, 0), I(info, 1), I(info, 2), B(info, 3), true);
  return RetList(info, {std::get<0>(result), std::get<1>(result)});
}
MMGEN_FN(cumsum) { return Ret(info, at::cumsum(T(info, 0), I(info, 1))); }

MMGEN_FN(matmul) { return Ret(info, at::matmul(T(info, 0), T(info, 1))); }
// baddbmm(input, batch1, batch2): input + batch1 @ batch2 in one kernel (attention with a float mask)
MMGEN_FN(baddbmm) { return Ret(info, at::baddbmm(T(info, 0), T(info, 1), T(info, 2))); }
MMGEN_FN(bmm) { return Ret(info, at::bmm(T(info, 0), T(info, 1))); }
MMGEN_FN(linear) { return Ret(info, at::linear(T(info, 0), T(info, 1), OptT(info, 2))); }
MMGEN_FN(einsum) { return Ret(info, at::einsum(info[0].As<Napi::String>().Utf8Value(), TL(info, 1))); }

void RegisterMath(Napi::Env env, Napi::Object exports) {
  MMGEN_EXPORT(exports, unary);
  MMGEN_EXPORT(exports, binary);
  MMGEN_EXPORT(exports, binaryScalar);
  MMGEN_EXPORT(exports, addScaled);
  MMGEN_EXPORT(exports, clamp);
  MMGEN_EXPORT(exports, where);
  MMGEN_EXPORT(exports, leakyRelu);
  MMGEN_EXPORT(exports, elu);
  MMGEN_EXPORT(exports, softplus);
  MMGEN_EXPORT(exports, hardtanh);
  MMGEN_EXPORT(exports, reduce);
  MMGEN_EXPORT(exports, argReduce);
  MMGEN_EXPORT(exports, maxDim);
  MMGEN_EXPORT(exports, sort);
  MMGEN_EXPORT(exports, topk);
  MMGEN_EXPORT(exports, cumsum);
  MMGEN_EXPORT(exports, matmul);
  MMGEN_EXPORT(exports, bmm);
  MMGEN_EXPORT(exports, baddbmm);
  MMGEN_EXPORT(exports, linear);
  MMGEN_EXPORT(exports, einsum);
}

}  // namespace mmgen
