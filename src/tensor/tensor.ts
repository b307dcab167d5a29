// The Tensor: a thin JS object around an integer handle into the native table. One method call
// is one N-API call; autograd is libtorch's own.
import { native } from './native.js';
import { type AnyTypedArray, type DType, dtypeCode, dtypeName } from './dtype.js';
import { registerTensorCheck, track } from './scope.js';

export type Scalar = number;
export type TensorOrScalar = Tensor | number;
export type NestedArray = number | NestedArray[];

// op codes shared with native/src/math.cc
export const Unary = {
  neg: 0,
  abs: 1,
  exp: 2,
  log: 3,
  log1p: 4,
  expm1: 5,
  sqrt: 6,
  rsqrt: 7,
  sin: 8,
  cos: 9,
  tanh: 10,
  sigmoid: 11,
  relu: 12,
  gelu: 13,
  silu: 14,
  softplus: 15,
  sign: 16,
  floor: 17,
  ceil: 18,
  round: 19,
  reciprocal: 20,
  square: 21,
  erf: 22,
  logicalNot: 23,
  logSigmoid: 24,
  angle: 25,
  viewAsReal: 26,
  viewAsComplex: 27,
  isnan: 28,
  isfinite: 29,
  geluTanh: 30,
  atan: 31,
  log2: 32,
  real: 33,
  imag: 34,
  conj: 35,
} as const;
export const Binary = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
  eq: 7,
  ne: 8,
  lt: 9,
  le: 10,
  gt: 11,
  ge: 12,
  logicalAnd: 13,
  logicalOr: 14,
  atan2: 15,
  remainder: 16,
  floorDivide: 17,
  logicalXor: 18,
  rsub: 19,
  rdiv: 20,
  rpow: 21,
  polar: 22,
} as const;
const Reduce = {
  sum: 0,
  mean: 1,
  amax: 2,
  amin: 3,
  logsumexp: 4,
  var: 5,
  std: 6,
  prod: 7,
  norm: 8,
  all: 9,
  any: 10,
} as const;

function dimsOf(dims: number | number[] | undefined): number[] {
  return dims === undefined ? [] : typeof dims === 'number' ? [dims] : dims;
}

export class Tensor {
  /** Native handle; -1 once disposed. */
  id: number;
  /** Set by keep(): no tidy() scope frees this tensor. */
  kept = false;
  private cachedShape: number[] | undefined;

  constructor(id: number) {
    this.id = id;
    track(this);
  }

  private get h(): number {
    if (this.id < 0) throw new Error('this tensor was disposed; keep() it or return it from tidy() to use it later');
    return this.id;
  }

  get shape(): number[] {
    this.cachedShape ??= native().shape(this.h);
    return this.cachedShape.slice();
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get dtype(): DType {
    return dtypeName(native().dtype(this.h));
  }
  get isDisposed(): boolean {
    return this.id < 0;
  }

  dispose(): void {
    if (this.id >= 0) {
      native().dispose(this.id);
      this.id = -1;
    }
  }

  // ---- data back to JS ----
  dataSync(): AnyTypedArray {
    return native().toTypedArray(this.h);
  }
  /** Elements as a flat number array (int64 converted to number). */
  toFlatArray(): number[] {
    const data = this.dataSync();
    return data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data);
  }
  /** Nested JS arrays in the tensor's shape. */
  toArray(): NestedArray {
    const flat = this.toFlatArray();
    const shape = this.shape;
    if (shape.length === 0) return flat[0] ?? 0;
    const build = (offset: number, axis: number): NestedArray[] => {
      const size = shape[axis] ?? 0;
      const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const out: NestedArray[] = [];
      for (let i = 0; i < size; i++)
        out.push(axis === shape.length - 1 ? (flat[offset + i] ?? 0) : build(offset + i * stride, axis + 1));
      return out;
    };
    return build(0, 0);
  }
  item(): number {
    return native().item(this.h);
  }
  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }

  // ---- conversion ----
  to(dtype: DType): Tensor {
    return new Tensor(native().toDtype(this.h, dtypeCode(dtype)));
  }
  float(): Tensor {
    return this.to('float32');
  }
  long(): Tensor {
    return this.to('int64');
  }
  clone(): Tensor {
    return new Tensor(native().clone(this.h));
  }
  contiguous(): Tensor {
    return new Tensor(native().contiguous(this.h));
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return native().requiresGrad(this.h);
  }
  set requiresGrad(value: boolean) {
    native().setRequiresGrad(this.h, value);
  }
  requiresGrad_(value = true): this {
    native().setRequiresGrad(this.h, value);
    return this;
  }
  get isLeaf(): boolean {
    return native().isLeaf(this.h);
  }
  /** The accumulated gradient as a new tensor (dispose it), or null. */
  get grad(): Tensor | null {
    const id = native().grad(this.h);
    return id < 0 ? null : new Tensor(id);
  }
  set grad(value: Tensor | null) {
    native().setGrad(this.h, value === null ? null : value.h);
  }
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    native().backward(this.h, gradient ? gradient.h : null, options.retainGraph ?? false);
  }
  detach(): Tensor {
    return new Tensor(native().detach(this.h));
  }

  // ---- in place (outside autograd) ----
  copy_(source: Tensor): this {
    native().copyInPlace(this.h, source.h);
    this.cachedShape = undefined;
    return this;
  }
  fill_(value: number): this {
    native().fillInPlace(this.h, value);
    return this;
  }
  zero_(): this {
    return this.fill_(0);
  }

  // ---- elementwise ----
  private unary(code: number): Tensor {
    return new Tensor(native().unary(code, this.h));
  }
  private binary(code: number, other: TensorOrScalar): Tensor {
    return new Tensor(
      typeof other === 'number' ? native().binaryScalar(code, this.h, other) : native().binary(code, this.h, other.h),
    );
  }
  add(other: TensorOrScalar, alpha = 1): Tensor {
    if (alpha !== 1 && typeof other !== 'number') return new Tensor(native().addScaled(this.h, other.h, alpha));
    return this.binary(Binary.add, typeof other === 'number' ? other * alpha : other);
  }
  sub(other: TensorOrScalar): Tensor {
    return this.binary(Binary.sub, other);
  }
  mul(other: TensorOrScalar): Tensor {
    return this.binary(Binary.mul, other);
  }
  div(other: TensorOrScalar): Tensor {
    return this.binary(Binary.div, other);
  }
  pow(other: TensorOrScalar): Tensor {
    return this.binary(Binary.pow, other);
  }
  /** other - this */
  rsub(other: TensorOrScalar): Tensor {
    return this.binary(Binary.rsub, other);
  }
  /** other / this */
  rdiv(other: TensorOrScalar): Tensor {
    return this.binary(Binary.rdiv, other);
  }
  maximum(other: TensorOrScalar): Tensor {
    return this.binary(Binary.maximum, other);
  }
  minimum(other: TensorOrScalar): Tensor {
    return this.binary(Binary.minimum, other);
  }
  remainder(other: TensorOrScalar): Tensor {
    return this.binary(Binary.remainder, other);
  }
  floorDivide(other: TensorOrScalar): Tensor {
    return this.binary(Binary.floorDivide, other);
  }
  atan2(other: Tensor): Tensor {
    return this.binary(Binary.atan2, other);
  }
  eq(other: TensorOrScalar): Tensor {
    return this.binary(Binary.eq, other);
  }
  ne(other: TensorOrScalar): Tensor {
    return this.binary(Binary.ne, other);
  }
  lt(other: TensorOrScalar): Tensor {
    return this.binary(Binary.lt, other);
  }
  le(other: TensorOrScalar): Tensor {
    return this.binary(Binary.le, other);
  }
  gt(other: TensorOrScalar): Tensor {
    return this.binary(Binary.gt, other);
  }
  ge(other: TensorOrScalar): Tensor {
    return this.binary(Binary.ge, other);
  }
  logicalAnd(other: Tensor): Tensor {
    return this.binary(Binary.logicalAnd, other);
  }
  logicalOr(other: Tensor): Tensor {
    return this.binary(Binary.logicalOr, other);
  }
  logicalXor(other: Tensor): Tensor {
    return this.binary(Binary.logicalXor, other);
  }
  logicalNot(): Tensor {
    return this.unary(Unary.logicalNot);
  }
  neg(): Tensor {
    return this.unary(Unary.neg);
  }
  abs(): Tensor {
    return this.unary(Unary.abs);
  }
  exp(): Tensor {
    return this.unary(Unary.exp);
  }
  log(): Tensor {
    return this.unary(Unary.log);
  }
  log1p(): Tensor {
    return this.unary(Unary.log1p);
  }
  log2(): Tensor {
    return this.unary(Unary.log2);
  }
  expm1(): Tensor {
    return this.unary(Unary.expm1);
  }
  sqrt(): Tensor {
    return this.unary(Unary.sqrt);
  }
  rsqrt(): Tensor {
    return this.unary(Unary.rsqrt);
  }
  sin(): Tensor {
    return this.unary(Unary.sin);
  }
  cos(): Tensor {
    return this.unary(Unary.cos);
  }
  atan(): Tensor {
    return this.unary(Unary.atan);
  }
  tanh(): Tensor {
    return this.unary(Unary.tanh);
  }
  sigmoid(): Tensor {
    return this.unary(Unary.sigmoid);
  }
  logSigmoid(): Tensor {
    return this.unary(Unary.logSigmoid);
  }
  relu(): Tensor {
    return this.unary(Unary.relu);
  }
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return this.unary(approximate === 'tanh' ? Unary.geluTanh : Unary.gelu);
  }
  silu(): Tensor {
    return this.unary(Unary.silu);
  }
  softplus(beta = 1, threshold = 20): Tensor {
    return new Tensor(native().softplus(this.h, beta, threshold));
  }
  leakyRelu(slope = 0.01): Tensor {
    return new Tensor(native().leakyRelu(this.h, slope));
  }
  elu(alpha = 1): Tensor {
    return new Tensor(native().elu(this.h, alpha));
  }
  hardtanh(min = -1, max = 1): Tensor {
    return new Tensor(native().hardtanh(this.h, min, max));
  }
  sign(): Tensor {
    return this.unary(Unary.sign);
  }
  floor(): Tensor {
    return this.unary(Unary.floor);
  }
  ceil(): Tensor {
    return this.unary(Unary.ceil);
  }
  round(): Tensor {
    return this.unary(Unary.round);
  }
  reciprocal(): Tensor {
    return this.unary(Unary.reciprocal);
  }
  square(): Tensor {
    return this.unary(Unary.square);
  }
  erf(): Tensor {
    return this.unary(Unary.erf);
  }
  isnan(): Tensor {
    return this.unary(Unary.isnan);
  }
  isfinite(): Tensor {
    return this.unary(Unary.isfinite);
  }
  /** Magnitude of a complex tensor (abs works too). */
  angle(): Tensor {
    return this.unary(Unary.angle);
  }
  real(): Tensor {
    return this.unary(Unary.real);
  }
  imag(): Tensor {
    return this.unary(Unary.imag);
  }
  conj(): Tensor {
    return this.unary(Unary.conj);
  }
  viewAsReal(): Tensor {
    return this.unary(Unary.viewAsReal);
  }
  viewAsComplex(): Tensor {
    return this.unary(Unary.viewAsComplex);
  }
  clamp(min: number | null, max: number | null = null): Tensor {
    return new Tensor(native().clamp(this.h, min, max));
  }

  // ---- reductions (dims omitted = all) ----
  private reduce(code: number, dims: number | number[] | undefined, keepdim: boolean, extra = 0): Tensor {
    return new Tensor(native().reduce(code, this.h, dimsOf(dims), keepdim, extra));
  }
  sum(dims?: number | number[], keepdim = false): Tensor {
    return this.reduce(Reduce.sum, dims, keepdim);
  }
  mean(dims?: number | number[], keepdim = false): Tensor {
    return this.reduce(Reduce.mean, dims, keepdim);
  }
  prod(dims?: number | number[], keepdim = false): Tensor {
    return this.reduce(Reduce.prod, dims, keepdim);
  }
  /** Maximum over dims (values only); use maxWithIndices for indices. */
  max(dims?: number | number[], keepdim = false): Tensor {
    return this.reduce(Reduce.amax, dims, keepdim);
  }
  min(dims?: number | number[], keepdim = false): Tensor {
    return this.reduce(Reduce.amin, dims, keepdim);
  }
  logsumexp(dims?: number | number[], keepdim = false): Tensor {
    return this.reduce(Reduce.logsumexp, dims, keepdim);
  }
  /** Variance; correction 1 = unbiased (PyTorch's default). */
  var(dims?: number | number[], keepdim = false, correction = 1): Tensor {
    return this.reduce(Reduce.var, dims, keepdim, correction);
  }
  std(dims?: number | number[], keepdim = false, correction = 1): Tensor {
    return this.reduce(Reduce.std, dims, keepdim, correction);
  }
  norm(p = 2, dims?: number | number[], keepdim = false): Tensor {
    return this.reduce(Reduce.norm, dims, keepdim, p);
  }
  all(dim?: number, keepdim = false): Tensor {
    return this.reduce(Reduce.all, dim, keepdim);
  }
  any(dim?: number, keepdim = false): Tensor {
    return this.reduce(Reduce.any, dim, keepdim);
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(native().argReduce(true, this.h, dim ?? null, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(native().argReduce(false, this.h, dim ?? null, keepdim));
  }
  maxWithIndices(dim: number, keepdim = false): [Tensor, Tensor] {
    const [values, indices] = native().maxDim(true, this.h, dim, keepdim);
    return [new Tensor(values), new Tensor(indices)];
  }
  minWithIndices(dim: number, keepdim = false): [Tensor, Tensor] {
    const [values, indices] = native().maxDim(false, this.h, dim, keepdim);
    return [new Tensor(values), new Tensor(indices)];
  }
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    const [values, indices] = native().sort(this.h, dim, descending);
    return [new Tensor(values), new Tensor(indices)];
  }
  topk(k: number, dim = -1, largest = true): [Tensor, Tensor] {
    const [values, indices] = native().topk(this.h, k, dim, largest);
    return [new Tensor(values), new Tensor(indices)];
  }
  cumsum(dim: number): Tensor {
    return new Tensor(native().cumsum(this.h, dim));
  }

  // ---- products ----
  matmul(other: Tensor): Tensor {
    return new Tensor(native().matmul(this.h, other.h));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(native().bmm(this.h, other.h));
  }

  // ---- shape ----
  reshape(...shape: number[]): Tensor {
    return new Tensor(native().reshape(this.h, shape));
  }
  view(...shape: number[]): Tensor {
    return new Tensor(native().view(this.h, shape));
  }
  permute(...dims: number[]): Tensor {
    return new Tensor(native().permute(this.h, dims));
  }
  transpose(a: number, b: number): Tensor {
    return new Tensor(native().transpose(this.h, a, b));
  }
  /** Transpose of the last two dims. */
  get T(): Tensor {
    return this.transpose(-2, -1);
  }
  expand(...shape: number[]): Tensor {
    return new Tensor(native().expand(this.h, shape));
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(native().squeeze(this.h, dim ?? null));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(native().unsqueeze(this.h, dim));
  }
  flatten(start = 0, end = -1): Tensor {
    return new Tensor(native().flatten(this.h, start, end));
  }
  split(sizes: number | number[], dim = 0): Tensor[] {
    return native()
      .split(this.h, sizes, dim)
      .map((id) => new Tensor(id));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return native()
      .chunk(this.h, chunks, dim)
      .map((id) => new Tensor(id));
  }
  unbind(dim = 0): Tensor[] {
    return native()
      .unbind(this.h, dim)
      .map((id) => new Tensor(id));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(native().narrow(this.h, dim, start, length));
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(native().select(this.h, dim, index));
  }
  slice(dim: number, start: number | null, end: number | null = null, step = 1): Tensor {
    return new Tensor(native().slice(this.h, dim, start, end, step));
  }
  /** Advanced indexing: t.index([rows, null, cols]) is t[rows, :, cols]. */
  index(indices: (Tensor | null)[]): Tensor {
    return new Tensor(
      native().index(
        this.h,
        indices.map((t) => (t ? t.h : null)),
      ),
    );
  }
  indexPut(indices: (Tensor | null)[], values: Tensor, accumulate = false): Tensor {
    return new Tensor(
      native().indexPut(
        this.h,
        indices.map((t) => (t ? t.h : null)),
        values.h,
        accumulate,
      ),
    );
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native().indexSelect(this.h, dim, index.h));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native().gather(this.h, dim, index.h));
  }
  scatter(dim: number, index: Tensor, source: Tensor | number): Tensor {
    return new Tensor(
      typeof source === 'number'
        ? native().scatterValue(this.h, dim, index.h, source)
        : native().scatter(this.h, dim, index.h, source.h, false),
    );
  }
  scatterAdd(dim: number, index: Tensor, source: Tensor): Tensor {
    return new Tensor(native().scatter(this.h, dim, index.h, source.h, true));
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return new Tensor(native().maskedFill(this.h, mask.h, value));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(native().maskedSelect(this.h, mask.h));
  }
  /** Pads as torch.nn.functional.pad: pads lists (left, right) for the last dim first. */
  pad(pads: number[], mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant', value = 0): Tensor {
    return new Tensor(native().pad(this.h, pads, mode, mode === 'constant' ? value : null));
  }
  flip(...dims: number[]): Tensor {
    return new Tensor(native().flip(this.h, dims));
  }
  roll(shifts: number[], dims: number[]): Tensor {
    return new Tensor(native().roll(this.h, shifts, dims));
  }
  repeat(...repeats: number[]): Tensor {
    return new Tensor(native().repeat(this.h, repeats));
  }
  repeatInterleave(repeats: number, dim: number): Tensor {
    return new Tensor(native().repeatInterleave(this.h, repeats, dim));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(native().tril(this.h, diagonal));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(native().triu(this.h, diagonal));
  }
  oneHot(classes: number): Tensor {
    return new Tensor(native().oneHot(this.h, classes));
  }
  nonzero(): Tensor {
    return new Tensor(native().nonzero(this.h));
  }
  unfold(dim: number, size: number, step: number): Tensor {
    return new Tensor(native().unfold(this.h, dim, size, step));
  }
  softmax(dim: number): Tensor {
    return new Tensor(native().softmax(this.h, dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(native().logSoftmax(this.h, dim));
  }
}

registerTensorCheck((value: unknown): value is Tensor => value instanceof Tensor);

/** Wraps a native handle (for modules inside mmgen that call the addon directly). */
export function wrapHandle(id: number): Tensor {
  return new Tensor(id);
}

/** The handle of a tensor, checked: throws if it was disposed. */
export function handleOf(tensor: Tensor): number {
  if (tensor.id < 0) throw new Error('this tensor was disposed; keep() it or return it from tidy() to use it later');
  return tensor.id;
}
