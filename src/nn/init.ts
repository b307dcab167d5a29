// Weight initialisers as torch.nn.init: in place, outside autograd, drawing from libtorch's default
// generator unless one is given, so manualSeed(s) reproduces PyTorch's draws for the same seed.
import {
  type Generator,
  type Tensor,
  normal_ as fillNormal,
  orthogonal_ as fillOrthogonal,
  uniform_ as fillUniform,
} from '../tensor/index.js';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

/** fan_in = size(1) x receptive field, fan_out = size(0) x receptive field (torch's _calculate_fan_in_and_fan_out). */
export function fanInAndFanOut(tensor: Tensor): { fanIn: number; fanOut: number } {
  const shape = tensor.shape;
  if (shape.length < 2)
    throw new Error(`fan in and fan out need a tensor of rank 2 or more, got shape [${shape.join(', ')}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[1] ?? 0) * receptive, fanOut: (shape[0] ?? 0) * receptive };
}

/** torch.nn.init.calculate_gain. `param` is the leaky_relu negative slope (default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`unknown nonlinearity "${String(nonlinearity)}"`);
  }
}

export interface KaimingOptions {
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

function kaimingStd(tensor: Tensor, o: KaimingOptions): number {
  const { fanIn, fanOut } = fanInAndFanOut(tensor);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  if (fan === 0) return 0;
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

export function kaimingUniform_(tensor: Tensor, o: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(tensor, o);
  return fillUniform(tensor, -bound, bound, o.generator);
}

export function kaimingNormal_(tensor: Tensor, o: KaimingOptions = {}): Tensor {
  return fillNormal(tensor, 0, kaimingStd(tensor, o), o.generator);
}

function xavierStd(tensor: Tensor, gain: number): number {
  const { fanIn, fanOut } = fanInAndFanOut(tensor);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

export function xavierUniform_(tensor: Tensor, gain = 1, generator?: Generator): Tensor {
  const bound = Math.sqrt(3) * xavierStd(tensor, gain);
  return fillUniform(tensor, -bound, bound, generator);
}

export function xavierNormal_(tensor: Tensor, gain = 1, generator?: Generator): Tensor {
  return fillNormal(tensor, 0, xavierStd(tensor, gain), generator);
}

export const uniform_ = (tensor: Tensor, low = 0, high = 1, generator?: Generator): Tensor =>
  fillUniform(tensor, low, high, generator);
export const normal_ = (tensor: Tensor, mean = 0, std = 1, generator?: Generator): Tensor =>
  fillNormal(tensor, mean, std, generator);
export const constant_ = (tensor: Tensor, value: number): Tensor => tensor.fill_(value);
export const zeros_ = (tensor: Tensor): Tensor => tensor.fill_(0);
export const ones_ = (tensor: Tensor): Tensor => tensor.fill_(1);

export function orthogonal_(tensor: Tensor, gain = 1, generator?: Generator): Tensor {
  if (tensor.rank < 2)
    throw new Error(`orthogonal_ needs a tensor of rank 2 or more, got shape [${tensor.shape.join(', ')}]`);
  return fillOrthogonal(tensor, gain, generator);
}

/** The bias bound PyTorch's Linear and Conv layers use: uniform(+-1/sqrt(fan_in)) of their weight. */
export function biasUniform_(bias: Tensor, weight: Tensor): Tensor {
  const { fanIn } = fanInAndFanOut(weight);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return fillUniform(bias, -bound, bound);
}
