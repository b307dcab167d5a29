// Creating tensors: from JS data, constant fills, ranges, and seeded random draws.
import { native } from './native.js';
import { type AnyTypedArray, type DType, dtypeCode, dtypeOfArray } from './dtype.js';
import { Tensor, type NestedArray, handleOf } from './tensor.js';

/** A seedable random stream: the same seed gives the same numbers. */
export class Generator {
  readonly handle: number;
  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`generator seed must be a non-negative integer, got ${seed}`);
    this.handle = native().newGenerator(seed);
  }
  /** Internal state as a uint8 tensor, to save with a checkpoint. */
  getState(): Tensor {
    return new Tensor(native().generatorGetState(this.handle));
  }
  setState(state: Tensor): void {
    native().generatorSetState(this.handle, handleOf(state));
  }
  dispose(): void {
    native().disposeGenerator(this.handle);
  }
}

/** Seeds libtorch's default generator (used by dropout and by random draws without a generator). */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`manualSeed needs a non-negative integer seed, got ${seed}`);
  native().manualSeed(seed);
}
export function defaultGeneratorState(): Tensor {
  return new Tensor(native().generatorGetState(-1));
}
export function setDefaultGeneratorState(state: Tensor): void {
  native().generatorSetState(-1, handleOf(state));
}

const gen = (generator?: Generator): number => (generator ? generator.handle : -1);

function flatten(value: NestedArray, shape: number[], out: number[], depth: number): void {
  if (typeof value === 'number') {
    if (depth !== shape.length) throw new Error('ragged nested array: every row must have the same length');
    out.push(value);
    return;
  }
  if (depth === shape.length) shape.push(value.length);
  else if (shape[depth] !== value.length)
    throw new Error(`ragged nested array: expected ${shape[depth]} items at depth ${depth}, got ${value.length}`);
  for (const item of value) flatten(item, shape, out, depth + 1);
}

function arrayFor(values: ArrayLike<number>, dtype: DType): AnyTypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v))));
    case 'int32':
      return Int32Array.from(values);
    case 'uint8':
      return Uint8Array.from(values);
    // libtorch reads any byte other than 0/1 as an invalid bool, so normalise (NaN counts as true, as in PyTorch)
    case 'bool':
      return Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
    default:
      throw new Error(`cannot build a ${dtype} tensor from numbers`);
  }
}

/** A tensor from a typed array (copied), a nested number array, or a number. */
export function tensor(data: AnyTypedArray | NestedArray, options: { shape?: number[]; dtype?: DType } = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const dtype = options.dtype ?? dtypeOfArray(data);
    const shape = options.shape ?? [data.length];
    const natural = dtypeOfArray(data);
    const typed =
      natural === dtype ? data : arrayFor(data instanceof BigInt64Array ? Array.from(data, Number) : data, dtype);
    return new Tensor(native().fromTypedArray(typed, shape, dtypeCode(dtype)));
  }
  const shape: number[] = [];
  const flat: number[] = [];
  flatten(data, shape, flat, 0);
  const dtype = options.dtype ?? 'float32';
  return new Tensor(native().fromTypedArray(arrayFor(flat, dtype), options.shape ?? shape, dtypeCode(dtype)));
}

export const zeros = (shape: number[], dtype: DType = 'float32'): Tensor =>
  new Tensor(native().zeros(shape, dtypeCode(dtype)));
export const ones = (shape: number[], dtype: DType = 'float32'): Tensor =>
  new Tensor(native().ones(shape, dtypeCode(dtype)));
export const empty = (shape: number[], dtype: DType = 'float32'): Tensor =>
  new Tensor(native().empty(shape, dtypeCode(dtype)));
export const full = (shape: number[], value: number, dtype: DType = 'float32'): Tensor =>
  new Tensor(native().full(shape, value, dtypeCode(dtype)));
export const scalar = (value: number, dtype: DType = 'float32'): Tensor =>
  new Tensor(native().scalarTensor(value, dtypeCode(dtype)));
export const zerosLike = (like: Tensor): Tensor => zeros(like.shape, like.dtype);
export const onesLike = (like: Tensor): Tensor => ones(like.shape, like.dtype);
export const fullLike = (like: Tensor, value: number): Tensor => full(like.shape, value, like.dtype);

/** [start, end) with step; arange(n) counts 0..n-1. Integer arguments give int64 unless a dtype is given. */
export function arange(start: number, end?: number, step = 1, dtype?: DType): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  const integral = Number.isInteger(from) && Number.isInteger(to) && Number.isInteger(step);
  return new Tensor(native().arange(from, to, step, dtypeCode(dtype ?? (integral ? 'int64' : 'float32'))));
}
export const linspace = (start: number, end: number, steps: number, dtype: DType = 'float32'): Tensor =>
  new Tensor(native().linspace(start, end, steps, dtypeCode(dtype)));
export const eye = (rows: number, cols = rows, dtype: DType = 'float32'): Tensor =>
  new Tensor(native().eye(rows, cols, dtypeCode(dtype)));

// ---- random ----
export const rand = (shape: number[], options: { dtype?: DType; generator?: Generator } = {}): Tensor =>
  new Tensor(native().rand(shape, dtypeCode(options.dtype ?? 'float32'), gen(options.generator)));
export const randn = (shape: number[], options: { dtype?: DType; generator?: Generator } = {}): Tensor =>
  new Tensor(native().randn(shape, dtypeCode(options.dtype ?? 'float32'), gen(options.generator)));
/** Integers in [low, high). */
export const randint = (
  low: number,
  high: number,
  shape: number[],
  options: { dtype?: DType; generator?: Generator } = {},
): Tensor =>
  new Tensor(native().randint(low, high, shape, dtypeCode(options.dtype ?? 'int64'), gen(options.generator)));
export const randperm = (n: number, generator?: Generator): Tensor => new Tensor(native().randperm(n, gen(generator)));
export const normal = (
  mean: number,
  std: number,
  shape: number[],
  options: { dtype?: DType; generator?: Generator } = {},
): Tensor =>
  new Tensor(native().normal(mean, std, shape, dtypeCode(options.dtype ?? 'float32'), gen(options.generator)));
/** Draws indices from each row of probabilities (rows need not be normalised). */
export const multinomial = (probs: Tensor, samples: number, replacement = false, generator?: Generator): Tensor =>
  new Tensor(native().multinomial(handleOf(probs), samples, replacement, gen(generator)));
export const bernoulli = (probs: Tensor, generator?: Generator): Tensor =>
  new Tensor(native().bernoulli(handleOf(probs), gen(generator)));

/** In-place initialisers (no autograd). */
export function uniform_(target: Tensor, low: number, high: number, generator?: Generator): Tensor {
  native().uniformInPlace(handleOf(target), low, high, gen(generator));
  return target;
}
export function normal_(target: Tensor, mean: number, std: number, generator?: Generator): Tensor {
  native().normalInPlace(handleOf(target), mean, std, gen(generator));
  return target;
}
export function orthogonal_(target: Tensor, gain = 1, generator?: Generator): Tensor {
  native().orthogonalInPlace(handleOf(target), gain, gen(generator));
  return target;
}
