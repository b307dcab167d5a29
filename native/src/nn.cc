// Neural-network ops: convolutions, pooling, resampling, normalisation, recurrent layers,
// spectral transforms and losses. Reduction codes: 0 none, 1 mean, 2 sum (at::Reduction).
#include "common.h"

namespace mmgen {

// conv(x, w, b, stride[], padding[], dilation[], groups) for 1-D and 2-D (shape of x decides)
MMGEN_FN(conv) {
  return Ret(info, at::convolution(T(info, 0), T(info, 1), OptT(info, 2), IL(info, 3), IL(info, 4), IL(info, 5), false,
                                   std::vector<int64_t>(IL(info, 3).size(), 0), I(info, 6)));
}
// convTranspose(x, w, b, stride[], padding[], outputPadding[], dilation[], groups)
MMGEN_FN(convTranspose) {
  return Ret(info, at::convolution(T(info, 0), T(info, 1), OptT(info, 2), IL(info, 3), IL(info, 4), IL(info, 6), true,
                                   IL(info, 5), I(info, 7)));
}
// maxPool(x, kernel[], stride[], padding[]) 1-D or 2-D by kernel length
MMGEN_FN(maxPool) {
  auto kernel = IL(info, 1);
  if (kernel.size() == 1) return Ret(info, at::max_pool1d(T(info, 0), kernel, IL(info, 2), IL(info, 3)));
  return Ret(info, at::max_pool2d(T(info, 0), kernel, IL(info, 2), IL(info, 3)));
}
MMGEN_FN(avgPool) {
  auto kernel = IL(info, 1);
  if (kernel.size() == 1) return Ret(info, at::avg_pool1d(T(info, 0), kernel, IL(info, 2), IL(info, 3)));
  return Ret(info, at::avg_pool2d(T(info, 0), kernel, IL(info, 2), IL(info, 3)));
}
MMGEN_FN(adaptiveAvgPool) {
  auto size = IL(info, 1);
  if (size.size() == 1) return Ret(info, at::adaptive_avg_pool1d(T(info, 0), size));
  return Ret(info, at::adaptive_avg_pool2d(T(info, 0), size));
}
// interpolate(x, size[], mode 0 nearest / 1 bilinear / 2 linear(1-D), alignCorners, scaleFactors[] | null)
// With scale factors the kernels map coordinates by 1/scale, as torch's F.interpolate(scale_factor=...)
// does; without them by in/out. The two differ only for non-integer factors.
MMGEN_FN(interpolate) {
  at::Tensor& x = T(info, 0);
  auto size = IL(info, 1);
  int64_t mode = I(info, 2);
  bool align = B(info, 3);
  std::vector<double> scales = DL(info, 4);
  auto scale = [&](size_t k) -> c10::optional<double> { return k < scales.size() ? c10::optional<double>(scales[k]) : c10::nullopt; };
  if (mode == 0) {
    if (x.dim() == 3) return Ret(info, at::upsample_nearest1d(x, size, scale(0)));
    return Ret(info, at::upsample_nearest2d(x, size, scale(0), scale(1)));
  }
  if (mode == 1) return Ret(info, at::upsample_bilinear2d(x, size, align, scale(0), scale(1)));
  return Ret(info, at::upsample_linear1d(x, size, align, scale(0)));
}
MMGEN_FN(softmax) { return Ret(info, at::softmax(T(info, 0), I(info, 1))); }
MMGEN_FN(logSoftmax) { return Ret(info, at::log_softmax(T(info, 0), I(info, 1))); }
MMGEN_FN(dropout) { return Ret(info, at::dropout(T(info, 0), D(info, 1), B(info, 2))); }
// batchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps)
MMGEN_FN(batchNorm) {
  return Ret(info, at::batch_norm(T(info, 0), OptT(info, 1), OptT(info, 2), OptT(info, 3), OptT(info, 4), B(info, 5), D(info, 6),
                                  D(info, 7), true));
}
// layerNorm(x, normalizedShape[], weight, bias, eps)
MMGEN_FN(layerNorm) { return Ret(info, at::layer_norm(T(info, 0), IL(info, 1), OptT(info, 2), OptT(info, 3), D(info, 4), true)); }
// groupNorm(x, groups, weight, bias, eps)
MMGEN_FN(groupNorm) { return Ret(info, at::group_norm(T(info, 0), I(info, 1), OptT(info, 2), OptT(info, 3), D(info, 4), true)); }
// embedding(weight, indices, paddingIdx)
MMGEN_FN(embedding) { return Ret(info, at::embedding(T(info, 0), T(info, 1), I(info, 2))); }
// gru(input, h0, params[], hasBiases, layers, dropout, train, bidirectional, batchFirst) -> [output, hN]
MMGEN_FN(gru) {
  auto result = at::gru(T(info, 0), T(info, 1), TL(info, 2), B(info, 3), I(info, 4), D(info, 5), B(info, 6), B(info, 7), B(info, 8));
  return RetList(info, {std::get<0>(result), std::get<1>(result)});
}
// lstm(input, h0, c0, params[], ...same) -> [output, hN, cN]
MMGEN_FN(lstm) {
  std::vector<at::Tensor> hidden = {T(info, 1), T(info, 2)};
  auto result = at::lstm(T(info, 0), hidden, TL(info, 3), B(info, 4), I(info, 5), D(info, 6), B(info, 7), B(info, 8), B(info, 9));
  return RetList(info, {std::get<0>(result), std::get<1>(result), std::get<2>(result)});
}
// stft(x, nFft, hop, winLength, window, center, normalized) -> complex [.., freq, frames]
MMGEN_FN(stft) {
  return Ret(info, at::stft(T(info, 0), I(info, 1), OptI(info, 2), OptI(info, 3), OptT(info, 4), B(info, 5), "reflect", B(info, 6),
                            true, true));
}
// istft(spec, nFft, hop, winLength, window, center, normalized, length)
MMGEN_FN(istft) {
  return Ret(info, at::istft(T(info, 0), I(info, 1), OptI(info, 2), OptI(info, 3), OptT(info, 4), B(info, 5), B(info, 6), true,
                             OptI(info, 7), false));
}
MMGEN_FN(hannWindow) { return Ret(info, at::hann_window(I(info, 0), B(info, 1))); }

// losses: (input, target, reduction)
MMGEN_FN(mseLoss) { return Ret(info, at::mse_loss(T(info, 0), T(info, 1), I(info, 2))); }
MMGEN_FN(l1Loss) { return Ret(info, at::l1_loss(T(info, 0), T(info, 1), I(info, 2))); }
MMGEN_FN(smoothL1Loss) { return Ret(info, at::smooth_l1_loss(T(info, 0), T(info, 1), I(info, 2), D(info, 3))); }
// bceWithLogits(input, target, weight, posWeight, reduction)
MMGEN_FN(bceWithLogits) {
  return Ret(info, at::binary_cross_entropy_with_logits(T(info, 0), T(info, 1), OptT(info, 2), OptT(info, 3), I(info, 4)));
}
// crossEntropy(input [N,C,...], target, weight, reduction, ignoreIndex, labelSmoothing)
MMGEN_FN(crossEntropy) {
  return Ret(info, at::cross_entropy_loss(T(info, 0), T(info, 1), OptT(info, 2), I(info, 3), I(info, 4), D(info, 5)));
}
MMGEN_FN(nllLoss) { return Ret(info, at::nll_loss(T(info, 0), T(info, 1), OptT(info, 2), I(info, 3), I(info, 4))); }

void RegisterNN(Napi::Env env, Napi::Object exports) {
  MMGEN_EXPORT(exports, conv);
  MMGEN_EXPORT(exports, convTranspose);
  MMGEN_EXPORT(exports, maxPool);
  MMGEN_EXPORT(exports, avgPool);
  MMGEN_EXPORT(exports, adaptiveAvgPool);
  MMGEN_EXPORT(exports, interpolate);
  MMGEN_EXPORT(exports, softmax);
  MMGEN_EXPORT(exports, logSoftmax);
  MMGEN_EXPORT(exports, dropout);
  MMGEN_EXPORT(exports, batchNorm);
  MMGEN_EXPORT(exports, layerNorm);
  MMGEN_EXPORT(exports, groupNorm);
  MMGEN_EXPORT(exports, embedding);
  MMGEN_EXPORT(exports, gru);
  MMGEN_EXPORT(exports, lstm);
  MMGEN_EXPORT(exports, stft);
  MMGEN_EXPORT(exports, istft);
  MMGEN_EXPORT(exports, hannWindow);
  MMGEN_EXPORT(exports, mseLoss);
  MMGEN_EXPORT(exports, l1Loss);
  MMGEN_EXPORT(exports, smoothL1Loss);
  MMGEN_EXPORT(exports, bceWithLogits);
  MMGEN_EXPORT(exports, crossEntropy);
  MMGEN_EXPORT(exports, nllLoss);
}

}  // namespace mmgen
