// Neural-network functional ops over the native runtime (conv, pooling, norms, RNNs, STFT, losses).
import { native } from './native.js';
import { Tensor, handleOf } from './tensor.js';

type Pair = number | [number, number];
const opt = (t: Tensor | null | undefined): number | null => (t ? handleOf(t) : null);
const pair = (v: Pair, rank: number): number[] => (typeof v === 'number' ? new Array<number>(rank).fill(v) : v);
export type Reduction = 'none' | 'mean' | 'sum';
const reductionCode = (r: Reduction): number => ({ none: 0, mean: 1, sum: 2 })[r];

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}
export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: Pair;
}

function convolve(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, rank: number, o: ConvOptions): Tensor {
  if (x.rank !== rank + 2)
    throw new Error(
      `conv${rank}d expects input of rank ${rank + 2} [batch, channels, ...], got shape [${x.shape.join(', ')}]`,
    );
  return new Tensor(
    native().conv(
      handleOf(x),
      handleOf(weight),
      opt(bias),
      pair(o.stride ?? 1, rank),
      pair(o.padding ?? 0, rank),
      pair(o.dilation ?? 1, rank),
      o.groups ?? 1,
    ),
  );
}
function convolveTransposed(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  rank: number,
  o: ConvTransposeOptions,
): Tensor {
  if (x.rank !== rank + 2)
    throw new Error(`convTranspose${rank}d expects input of rank ${rank + 2}, got shape [${x.shape.join(', ')}]`);
  return new Tensor(
    native().convTranspose(
      handleOf(x),
      handleOf(weight),
      opt(bias),
      pair(o.stride ?? 1, rank),
      pair(o.padding ?? 0, rank),
      pair(o.outputPadding ?? 0, rank),
      pair(o.dilation ?? 1, rank),
      o.groups ?? 1,
    ),
  );
}
export const conv1d = (x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions = {}): Tensor =>
  convolve(x, weight, bias, 1, o);
export const conv2d = (x: Tensor, weight: Tensor, bias?: Tensor | null, o: ConvOptions = {}): Tensor =>
  convolve(x, weight, bias, 2, o);
export const convTranspose1d = (
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: ConvTransposeOptions = {},
): Tensor => convolveTransposed(x, weight, bias, 1, o);
export const convTranspose2d = (
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  o: ConvTransposeOptions = {},
): Tensor => convolveTransposed(x, weight, bias, 2, o);

export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
}
export const maxPool1d = (x: Tensor, kernel: number, o: PoolOptions = {}): Tensor =>
  new Tensor(native().maxPool(handleOf(x), [kernel], pair(o.stride ?? kernel, 1), pair(o.padding ?? 0, 1)));
export const maxPool2d = (x: Tensor, kernel: Pair, o: PoolOptions = {}): Tensor =>
  new Tensor(native().maxPool(handleOf(x), pair(kernel, 2), pair(o.stride ?? kernel, 2), pair(o.padding ?? 0, 2)));
export const avgPool1d = (x: Tensor, kernel: number, o: PoolOptions = {}): Tensor =>
  new Tensor(native().avgPool(handleOf(x), [kernel], pair(o.stride ?? kernel, 1), pair(o.padding ?? 0, 1)));
export const avgPool2d = (x: Tensor, kernel: Pair, o: PoolOptions = {}): Tensor =>
  new Tensor(native().avgPool(handleOf(x), pair(kernel, 2), pair(o.stride ?? kernel, 2), pair(o.padding ?? 0, 2)));
export const adaptiveAvgPool1d = (x: Tensor, size: number): Tensor =>
  new Tensor(native().adaptiveAvgPool(handleOf(x), [size]));
export const adaptiveAvgPool2d = (x: Tensor, size: Pair): Tensor =>
  new Tensor(native().adaptiveAvgPool(handleOf(x), pair(size, 2)));

export interface InterpolateOptions {
  size?: number[];
  scaleFactor?: number;
  mode?: 'nearest' | 'bilinear' | 'linear';
  alignCorners?: boolean;
}
/** Resizes [N,C,W] or [N,C,H,W]; give size or scaleFactor. */
export function interpolate(x: Tensor, o: InterpolateOptions): Tensor {
  const spatial = x.shape.slice(2);
  const size =
    o.size ?? (o.scaleFactor !== undefined ? spatial.map((s) => Math.floor(s * (o.scaleFactor ?? 1))) : undefined);
  if (!size) throw new Error('interpolate needs size or scaleFactor');
  const mode = o.mode ?? 'nearest';
  if (mode === 'bilinear' && x.rank !== 4)
    throw new Error(`bilinear interpolation needs a 4-D input, got rank ${x.rank}`);
  // a scale factor is passed on so coordinates map as in PyTorch (by 1/scale, not in/out) for non-integer factors
  const scales = o.size === undefined && o.scaleFactor !== undefined ? spatial.map(() => o.scaleFactor ?? 1) : null;
  return new Tensor(
    native().interpolate(
      handleOf(x),
      size,
      mode === 'nearest' ? 0 : mode === 'bilinear' ? 1 : 2,
      o.alignCorners ?? false,
      scales,
    ),
  );
}

/** [N, C·r², H, W] → [N, C, H·r, W·r]: each group of r² channels becomes an r×r block of pixels. */
export const pixelShuffle = (x: Tensor, factor: number): Tensor =>
  new Tensor(native().pixelShuffle(handleOf(x), factor));

export const softmax = (x: Tensor, dim = -1): Tensor => x.softmax(dim);
export const logSoftmax = (x: Tensor, dim = -1): Tensor => x.logSoftmax(dim);
/** Uses libtorch's default generator (seed with manualSeed). */
// without dropout the input comes back as a new handle to the same storage, as PyTorch returns its input
export const dropout = (x: Tensor, p: number, training: boolean): Tensor =>
  new Tensor(p === 0 || !training ? native().alias(handleOf(x)) : native().dropout(handleOf(x), p, training));

export interface BatchNormArgs {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  momentum?: number;
  eps?: number;
}
export const batchNorm = (x: Tensor, a: BatchNormArgs): Tensor =>
  new Tensor(
    native().batchNorm(
      handleOf(x),
      opt(a.weight),
      opt(a.bias),
      opt(a.runningMean),
      opt(a.runningVar),
      a.training,
      a.momentum ?? 0.1,
      a.eps ?? 1e-5,
    ),
  );
export const layerNorm = (
  x: Tensor,
  normalizedShape: number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor => new Tensor(native().layerNorm(handleOf(x), normalizedShape, opt(weight), opt(bias), eps));
export const groupNorm = (
  x: Tensor,
  groups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor => new Tensor(native().groupNorm(handleOf(x), groups, opt(weight), opt(bias), eps));
export const embedding = (weight: Tensor, indices: Tensor, paddingIdx = -1): Tensor =>
  new Tensor(native().embedding(handleOf(weight), handleOf(indices), paddingIdx));

export interface RnnArgs {
  hasBiases: boolean;
  layers: number;
  dropout: number;
  training: boolean;
  bidirectional: boolean;
  batchFirst: boolean;
}
/** Fused multi-layer GRU (params in PyTorch's order: w_ih, w_hh, b_ih, b_hh per layer and direction). */
export function gru(input: Tensor, h0: Tensor, params: Tensor[], a: RnnArgs): [Tensor, Tensor] {
  const [output, hidden] = native().gru(
    handleOf(input),
    handleOf(h0),
    params.map(handleOf),
    a.hasBiases,
    a.layers,
    a.dropout,
    a.training,
    a.bidirectional,
    a.batchFirst,
  );
  return [new Tensor(output), new Tensor(hidden)];
}
export function lstm(input: Tensor, h0: Tensor, c0: Tensor, params: Tensor[], a: RnnArgs): [Tensor, Tensor, Tensor] {
  const [output, hidden, cell] = native().lstm(
    handleOf(input),
    handleOf(h0),
    handleOf(c0),
    params.map(handleOf),
    a.hasBiases,
    a.layers,
    a.dropout,
    a.training,
    a.bidirectional,
    a.batchFirst,
  );
  return [new Tensor(output), new Tensor(hidden), new Tensor(cell)];
}

export interface StftArgs {
  nFft: number;
  hopLength?: number;
  winLength?: number;
  window?: Tensor | null;
  center?: boolean;
  normalized?: boolean;
}
/** Complex STFT [..., nFft/2+1, frames] (reflect padding when centred, as torch.stft). */
export function stft(x: Tensor, a: StftArgs): Tensor {
  return new Tensor(
    native().stft(
      handleOf(x),
      a.nFft,
      a.hopLength ?? Math.floor(a.nFft / 4),
      a.winLength ?? a.nFft,
      opt(a.window),
      a.center ?? true,
      a.normalized ?? false,
    ),
  );
}
export function istft(spec: Tensor, a: StftArgs & { length?: number }): Tensor {
  return new Tensor(
    native().istft(
      handleOf(spec),
      a.nFft,
      a.hopLength ?? Math.floor(a.nFft / 4),
      a.winLength ?? a.nFft,
      opt(a.window),
      a.center ?? true,
      a.normalized ?? false,
      a.length ?? null,
    ),
  );
}
export const hannWindow = (length: number, periodic = true): Tensor =>
  new Tensor(native().hannWindow(length, periodic));

// ---- losses ----
export const mseLoss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  new Tensor(native().mseLoss(handleOf(input), handleOf(target), reductionCode(reduction)));
export const l1Loss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  new Tensor(native().l1Loss(handleOf(input), handleOf(target), reductionCode(reduction)));
export const smoothL1Loss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean', beta = 1): Tensor =>
  new Tensor(native().smoothL1Loss(handleOf(input), handleOf(target), reductionCode(reduction), beta));
export const bceWithLogits = (
  input: Tensor,
  target: Tensor,
  o: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {},
): Tensor =>
  new Tensor(
    native().bceWithLogits(
      handleOf(input),
      handleOf(target),
      opt(o.weight),
      opt(o.posWeight),
      reductionCode(o.reduction ?? 'mean'),
    ),
  );
export interface CrossEntropyOptions {
  weight?: Tensor;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}
/** input [N, C, ...] logits, target [N, ...] int64 class indices. */
export const crossEntropy = (input: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor =>
  new Tensor(
    native().crossEntropy(
      handleOf(input),
      handleOf(target),
      opt(o.weight),
      reductionCode(o.reduction ?? 'mean'),
      o.ignoreIndex ?? -100,
      o.labelSmoothing ?? 0,
    ),
  );
export const nllLoss = (
  input: Tensor,
  target: Tensor,
  o: { weight?: Tensor; reduction?: Reduction; ignoreIndex?: number } = {},
): Tensor =>
  new Tensor(
    native().nllLoss(
      handleOf(input),
      handleOf(target),
      opt(o.weight),
      reductionCode(o.reduction ?? 'mean'),
      o.ignoreIndex ?? -100,
    ),
  );
