// mmgen's neural-network layer: Module, layers with PyTorch's semantics and state-dict names,
// initialisers and losses.
export { Module, inEvalMode, type UnaryModule, type LoadStateDictResult } from './module.js';
export * as init from './init.js';
export {
  kaimingUniform_,
  kaimingNormal_,
  xavierUniform_,
  xavierNormal_,
  normal_,
  uniform_,
  zeros_,
  ones_,
  constant_,
  orthogonal_,
  calculateGain,
  fanInAndFanOut,
} from './init.js';
export { Linear, linear } from './linear.js';
export {
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  type ConvLayerOptions,
  type ConvTransposeLayerOptions,
  type PaddingMode,
} from './conv.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, type BatchNormOptions } from './norm.js';
export { Embedding } from './embedding.js';
export { GRU, LSTM, type RecurrentOptions } from './recurrent.js';
export { MultiheadAttention, causalMask, type AttentionOptions } from './attention.js';
export {
  TransformerEncoderLayer,
  TransformerDecoderLayer,
  type TransformerLayerOptions,
  type EncoderMasks,
  type DecoderMasks,
} from './transformer.js';
export {
  ReLU,
  LeakyReLU,
  Tanh,
  Sigmoid,
  GELU,
  SiLU,
  ELU,
  Softplus,
  Softmax,
  Identity,
  Flatten,
  Dropout,
  Upsample,
  type UpsampleOptions,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
} from './activation.js';
export { Sequential, ModuleList } from './container.js';
export { spectralNorm, type SpectralNormOptions } from './spectral-norm.js';
export {
  mseLoss,
  l1Loss,
  bceWithLogits,
  crossEntropy,
  gaussianKl,
  hingeDiscriminatorLoss,
  hingeGeneratorLoss,
  nonSaturatingGeneratorLoss,
  nonSaturatingDiscriminatorLoss,
  type Reduction,
  type KlReduction,
  type CrossEntropyOptions,
} from './losses.js';
