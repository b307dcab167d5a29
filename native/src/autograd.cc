// Autograd (libtorch's own engine: one call for backward) and fused optimiser updates.
// The optimiser loops run in C++ so a step costs one N-API call, not a dozen per parameter.
#include "common.h"
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <cmath>

namespace mmgen {

MMGEN_FN(setRequiresGrad) {
  T(info, 0).set_requires_grad(B(info, 1));
  return info.Env().Undefined();
}
MMGEN_FN(requiresGrad) { return Napi::Boolean::New(info.Env(), T(info, 0).requires_grad()); }
MMGEN_FN(isLeaf) { return Napi::Boolean::New(info.Env(), T(info, 0).is_leaf()); }
MMGEN_FN(grad) {
  const at::Tensor& gradient = T(info, 0).grad();
  if (!gradient.defined()) return Napi::Number::New(info.Env(), -1);
  return Ret(info, gradient);
}
// hasGrad(handles[]) -> bool[]: which tensors hold a gradient, in one call (optimisers ask every step)
MMGEN_FN(hasGrad) {
  std::vector<at::Tensor> tensors = TL(info, 0);
  Napi::Array out = Napi::Array::New(info.Env(), tensors.size());
  for (size_t k = 0; k < tensors.size(); k++) out.Set(static_cast<uint32_t>(k), Napi::Boolean::New(info.Env(), tensors[k].grad().defined()));
  return out;
}
// setGrad(t, g | null)
MMGEN_FN(setGrad) {
  at::Tensor& tensor = T(info, 0);
  c10::optional<at::Tensor> gradient = OptT(info, 1);
  // the same checks as PyTorch's `x.grad = g`: a mismatched gradient would fail much later, in backward or an optimiser
  if (gradient.has_value()) {
    TORCH_CHECK(gradient->sizes() == tensor.sizes(), "assigned grad has shape ", gradient->sizes(), " but the tensor has shape ", tensor.sizes());
    TORCH_CHECK(gradient->scalar_type() == tensor.scalar_type(), "assigned grad has dtype ", gradient->scalar_type(), " but the tensor has dtype ",
                tensor.scalar_type());
  }
  tensor.mutable_grad() = gradient.has_value() ? *gradient : at::Tensor();
  return info.Env().Undefined();
}
// zeroGrad(handles[]): drops gradients (set to none, as PyTorch's default)
MMGEN_FN(zeroGrad) {
  for (auto& tensor : TL(info, 0)) tensor.mutable_grad() = at::Tensor();
  return info.Env().Undefined();
}
// backward(t, gradient | null, retainGraph)
MMGEN_FN(backward) {
  c10::optional<at::Tensor> gradient = OptT(info, 1);
  T(info, 0).backward(gradient.has_value() ? *gradient : at::Tensor(), B(info, 2), false);
  return info.Env().Undefined();
}
// autogradGrad(outputs[], inputs[], gradOutputs[] | null, retainGraph, createGraph) -> grads[]
MMGEN_FN(autogradGrad) {
  std::vector<at::Tensor> outputs = TL(info, 0);
  std::vector<at::Tensor> inputs = TL(info, 1);
  std::vector<at::Tensor> gradOutputs;
  if (!Missing(info, 2)) gradOutputs = TL(info, 2);
  auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, B(info, 3), B(info, 4), true);
  std::vector<at::Tensor> out;
  for (size_t k = 0; k < grads.size(); k++) out.push_back(grads[k].defined() ? grads[k] : at::zeros_like(inputs[k]));
  return RetList(info, out);
}
MMGEN_FN(detach) { return Ret(info, T(info, 0).detach()); }
// setGradEnabled(bool) -> previous
MMGEN_FN(setGradEnabled) {
  bool previous = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(B(info, 0));
  return Napi::Boolean::New(info.Env(), previous);
}
MMGEN_FN(isGradEnabled) { return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled()); }

// adamStep(params[], expAvg[], expAvgSq[], step, lr, beta1, beta2, eps, weightDecay, decoupled)
// follows torch.optim.Adam/AdamW (_single_tensor_adam) exactly; parameters without a grad are skipped.
MMGEN_FN(adamStep) {
  at::NoGradGuard guard;
  std::vector<at::Tensor> params = TL(info, 0), expAvg = TL(info, 1), expAvgSq = TL(info, 2);
  double step = D(info, 3), lr = D(info, 4), beta1 = D(info, 5), beta2 = D(info, 6), eps = D(info, 7), weightDecay = D(info, 8);
  bool decoupled = B(info, 9);
  double biasCorrection1 = 1 - std::pow(beta1, step);
  double biasCorrection2Sqrt = std::sqrt(1 - std::pow(beta2, step));
  double stepSize = lr / biasCorrection1;
  for (size_t k = 0; k < params.size(); k++) {
    at::Tensor& param = params[k];
    at::Tensor gradient = param.grad();
    if (!gradient.defined()) continue;
    if (weightDecay != 0) {
      if (decoupled) param.mul_(1 - lr * weightDecay);
      else gradient = gradient.add(param, weightDecay);
    }
    expAvg[k].mul_(beta1).add_(gradient, 1 - beta1);
    expAvgSq[k].mul_(beta2).addcmul_(gradient, gradient, 1 - beta2);
    at::Tensor denom = (expAvgSq[k].sqrt() / biasCorrection2Sqrt).add_(eps);
    param.addcdiv_(expAvg[k], denom, -stepSize);
  }
  return info.Env().Undefined();
}

// sgdStep(params[], buffers[] | null, lr, momentum, dampening, weightDecay, nesterov, firstStep)
MMGEN_FN(sgdStep) {
  at::NoGradGuard guard;
  std::vector<at::Tensor> params = TL(info, 0);
  std::vector<at::Tensor> buffers;
  if (!Missing(info, 1)) buffers = TL(info, 1);
  double lr = D(info, 2), momentum = D(info, 3), dampening = D(info, 4), weightDecay = D(info, 5);
  bool nesterov = B(info, 6), firstStep = B(info, 7);
  for (size_t k = 0; k < params.size(); k++) {
    at::Tensor& param = params[k];
    at::Tensor gradient = param.grad();
    if (!gradient.defined()) continue;
    if (weightDecay != 0) gradient = gradient.add(param, weightDecay);
    if (momentum != 0) {
      at::Tensor& buffer = buffers[k];
      if (firstStep) buffer.copy_(gradient);
      else buffer.mul_(momentum).add_(gradient, 1 - dampening);
      gradient = nesterov ? gradient.add(buffer, momentum) : buffer;
    }
    param.add_(gradient, -lr);
  }
  return info.Env().Undefined();
}

// emaUpdate(targets[], sources[], decay): target = decay * target + (1 - decay) * source
MMGEN_FN(emaUpdate) {
  at::NoGradGuard guard;
  std::vector<at::Tensor> targets = TL(info, 0), sources = TL(info, 1);
  double decay = D(info, 2);
  for (size_t k = 0; k < targets.size(); k++) {
    if (at::isFloatingType(targets[k].scalar_type())) targets[k].lerp_(sources[k], 1 - decay);
    else targets[k].copy_(sources[k]);
  }
  return info.Env().Undefined();
}

// clipGradNorm(params[], maxNorm) -> total norm before clipping (as torch.nn.utils.clip_grad_norm_)
MMGEN_FN(clipGradNorm) {
  at::NoGradGuard guard;
  std::vector<at::Tensor> params = TL(info, 0);
  double maxNorm = D(info, 1);
  std::vector<at::Tensor> norms;
  for (auto& param : params)
    if (param.grad().defined()) norms.push_back(at::norm(param.grad()));
  if (norms.empty()) return Napi::Number::New(info.Env(), 0);
  double total = at::norm(at::stack(norms)).item<double>();
  double coefficient = maxNorm / (total + 1e-6);
  if (coefficient < 1)
    for (auto& param : params)
      if (param.grad().defined()) param.mutable_grad().mul_(coefficient);
  return Napi::Number::New(info.Env(), total);
}

void RegisterAutograd(Napi::Env env, Napi::Object exports) {
  MMGEN_EXPORT(exports, setRequiresGrad);
  MMGEN_EXPORT(exports, requiresGrad);
  MMGEN_EXPORT(exports, isLeaf);
  MMGEN_EXPORT(exports, grad);
  MMGEN_EXPORT(exports, hasGrad);
  MMGEN_EXPORT(exports, setGrad);
  MMGEN_EXPORT(exports, zeroGrad);
  MMGEN_EXPORT(exports, backward);
  MMGEN_EXPORT(exports, autogradGrad);
  MMGEN_EXPORT(exports, detach);
  MMGEN_EXPORT(exports, setGradEnabled);
  MMGEN_EXPORT(exports, isGradEnabled);
  MMGEN_EXPORT(exports, adamStep);
  MMGEN_EXPORT(exports, sgdStep);
  MMGEN_EXPORT(exports, emaUpdate);
  MMGEN_EXPORT(exports, clipGradNorm);
}

}  // namespace mmgen
