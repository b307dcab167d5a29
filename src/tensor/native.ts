// Loads the libtorch addon once per process, lazily (libtorch costs ~0.6-1 s and ~190 MB to load).
// OpenBLAS reads its thread count only when the library loads, so the environment is set first.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Handle = number;
type OptionalHandle = Handle | null;
type GeneratorHandle = number;

/** The raw addon surface. Handles are integers into the native tensor table. */
export interface NativeBinding {
  dispose(handle: Handle): void;
  disposeMany(handles: Handle[]): void;
  liveCount(): number;
  liveBytes(): number;
  /** V8's total of external memory as reported through napi_adjust_external_memory (in 1 MiB batches). */
  reportedExternalBytes(): number;
  shape(handle: Handle): number[];
  dtype(handle: Handle): number;
  item(handle: Handle): number;
  toTypedArray(handle: Handle): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
  fromTypedArray(data: ArrayBufferView, shape: number[], dtype: number): Handle;
  toDtype(handle: Handle, dtype: number): Handle;
  clone(handle: Handle): Handle;
  contiguous(handle: Handle): Handle;
  alias(handle: Handle): Handle;
  setNumThreads(count: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  newGenerator(seed: number): GeneratorHandle;
  disposeGenerator(generator: GeneratorHandle): void;
  generatorGetState(generator: GeneratorHandle): Handle;
  generatorSetState(generator: GeneratorHandle, state: Handle): void;
  versionInfo(): { torch: string; parallel: string };
  takeWarnings(): string[];

  zeros(shape: number[], dtype: number): Handle;
  ones(shape: number[], dtype: number): Handle;
  empty(shape: number[], dtype: number): Handle;
  full(shape: number[], value: number, dtype: number): Handle;
  scalarTensor(value: number, dtype: number): Handle;
  arange(start: number, end: number, step: number, dtype: number): Handle;
  linspace(start: number, end: number, steps: number, dtype: number): Handle;
  eye(rows: number, cols: number, dtype: number): Handle;
  rand(shape: number[], dtype: number, generator: GeneratorHandle): Handle;
  randn(shape: number[], dtype: number, generator: GeneratorHandle): Handle;
  randint(low: number, high: number, shape: number[], dtype: number, generator: GeneratorHandle): Handle;
  randperm(n: number, generator: GeneratorHandle): Handle;
  multinomial(probs: Handle, samples: number, replacement: boolean, generator: GeneratorHandle): Handle;
  bernoulli(probs: Handle, generator: GeneratorHandle): Handle;
  normal(mean: number, std: number, shape: number[], dtype: number, generator: GeneratorHandle): Handle;
  uniformInPlace(handle: Handle, low: number, high: number, generator: GeneratorHandle): void;
  normalInPlace(handle: Handle, mean: number, std: number, generator: GeneratorHandle): void;
  fillInPlace(handle: Handle, value: number): void;
  copyInPlace(target: Handle, source: Handle): void;
  orthogonalInPlace(handle: Handle, gain: number, generator: GeneratorHandle): void;

  unary(code: number, x: Handle): Handle;
  binary(code: number, a: Handle, b: Handle): Handle;
  binaryScalar(code: number, a: Handle, b: number): Handle;
  addScaled(a: Handle, b: Handle, alpha: number): Handle;
  clamp(x: Handle, min: number | null, max: number | null): Handle;
  where(condition: Handle, a: Handle, b: Handle): Handle;
  leakyRelu(x: Handle, slope: number): Handle;
  elu(x: Handle, alpha: number): Handle;
  softplus(x: Handle, beta: number, threshold: number): Handle;
  hardtanh(x: Handle, min: number, max: number): Handle;
  reduce(code: number, x: Handle, dims: number[], keepdim: boolean, extra: number): Handle;
  argReduce(isMax: boolean, x: Handle, dim: number | null, keepdim: boolean): Handle;
  maxDim(isMax: boolean, x: Handle, dim: number, keepdim: boolean): [Handle, Handle];
  sort(x: Handle, dim: number, descending: boolean): [Handle, Handle];
  topk(x: Handle, k: number, dim: number, largest: boolean): [Handle, Handle];
  cumsum(x: Handle, dim: number): Handle;
  matmul(a: Handle, b: Handle): Handle;
  bmm(a: Handle, b: Handle): Handle;
  baddbmm(input: Handle, batch1: Handle, batch2: Handle): Handle;
  linear(x: Handle, weight: Handle, bias: OptionalHandle): Handle;
  einsum(equation: string, operands: Handle[]): Handle;

  reshape(x: Handle, shape: number[]): Handle;
  view(x: Handle, shape: number[]): Handle;
  permute(x: Handle, dims: number[]): Handle;
  transpose(x: Handle, a: number, b: number): Handle;
  expand(x: Handle, shape: number[]): Handle;
  squeeze(x: Handle, dim: number | null): Handle;
  unsqueeze(x: Handle, dim: number): Handle;
  flatten(x: Handle, start: number, end: number): Handle;
  cat(tensors: Handle[], dim: number): Handle;
  stack(tensors: Handle[], dim: number): Handle;
  split(x: Handle, sizes: number | number[], dim: number): Handle[];
  chunk(x: Handle, chunks: number, dim: number): Handle[];
  unbind(x: Handle, dim: number): Handle[];
  narrow(x: Handle, dim: number, start: number, length: number): Handle;
  select(x: Handle, dim: number, index: number): Handle;
  slice(x: Handle, dim: number, start: number | null, end: number | null, step: number): Handle;
  index(x: Handle, indices: OptionalHandle[]): Handle;
  indexPut(x: Handle, indices: OptionalHandle[], values: Handle, accumulate: boolean): Handle;
  indexSelect(x: Handle, dim: number, index: Handle): Handle;
  gather(x: Handle, dim: number, index: Handle): Handle;
  scatter(x: Handle, dim: number, index: Handle, source: Handle, add: boolean): Handle;
  scatterValue(x: Handle, dim: number, index: Handle, value: number): Handle;
  maskedFill(x: Handle, mask: Handle, value: number): Handle;
  maskedSelect(x: Handle, mask: Handle): Handle;
  pad(x: Handle, pads: number[], mode: string, value: number | null): Handle;
  flip(x: Handle, dims: number[]): Handle;
  roll(x: Handle, shifts: number[], dims: number[]): Handle;
  repeat(x: Handle, repeats: number[]): Handle;
  repeatInterleave(x: Handle, repeats: number, dim: number): Handle;
  tril(x: Handle, diagonal: number): Handle;
  triu(x: Handle, diagonal: number): Handle;
  oneHot(x: Handle, classes: number): Handle;
  nonzero(x: Handle): Handle;
  unfold(x: Handle, dim: number, size: number, step: number): Handle;
  pixelShuffle(x: Handle, factor: number): Handle;

  conv(
    x: Handle,
    weight: Handle,
    bias: OptionalHandle,
    stride: number[],
    padding: number[],
    dilation: number[],
    groups: number,
  ): Handle;
  convTranspose(
    x: Handle,
    weight: Handle,
    bias: OptionalHandle,
    stride: number[],
    padding: number[],
    outputPadding: number[],
    dilation: number[],
    groups: number,
  ): Handle;
  maxPool(x: Handle, kernel: number[], stride: number[], padding: number[]): Handle;
  avgPool(x: Handle, kernel: number[], stride: number[], padding: number[]): Handle;
  adaptiveAvgPool(x: Handle, size: number[]): Handle;
  interpolate(x: Handle, size: number[], mode: number, alignCorners: boolean, scaleFactors?: number[] | null): Handle;
  softmax(x: Handle, dim: number): Handle;
  logSoftmax(x: Handle, dim: number): Handle;
  dropout(x: Handle, p: number, train: boolean): Handle;
  batchNorm(
    x: Handle,
    weight: OptionalHandle,
    bias: OptionalHandle,
    runningMean: OptionalHandle,
    runningVar: OptionalHandle,
    training: boolean,
    momentum: number,
    eps: number,
  ): Handle;
  layerNorm(x: Handle, shape: number[], weight: OptionalHandle, bias: OptionalHandle, eps: number): Handle;
  groupNorm(x: Handle, groups: number, weight: OptionalHandle, bias: OptionalHandle, eps: number): Handle;
  embedding(weight: Handle, indices: Handle, paddingIdx: number): Handle;
  gru(
    input: Handle,
    h0: Handle,
    params: Handle[],
    hasBiases: boolean,
    layers: number,
    dropout: number,
    train: boolean,
    bidirectional: boolean,
    batchFirst: boolean,
  ): [Handle, Handle];
  lstm(
    input: Handle,
    h0: Handle,
    c0: Handle,
    params: Handle[],
    hasBiases: boolean,
    layers: number,
    dropout: number,
    train: boolean,
    bidirectional: boolean,
    batchFirst: boolean,
  ): [Handle, Handle, Handle];
  stft(
    x: Handle,
    nFft: number,
    hop: number,
    winLength: number,
    window: OptionalHandle,
    center: boolean,
    normalized: boolean,
  ): Handle;
  istft(
    spec: Handle,
    nFft: number,
    hop: number,
    winLength: number,
    window: OptionalHandle,
    center: boolean,
    normalized: boolean,
    length: number | null,
  ): Handle;
  hannWindow(length: number, periodic: boolean): Handle;
  mseLoss(input: Handle, target: Handle, reduction: number): Handle;
  l1Loss(input: Handle, target: Handle, reduction: number): Handle;
  smoothL1Loss(input: Handle, target: Handle, reduction: number, beta: number): Handle;
  bceWithLogits(
    input: Handle,
    target: Handle,
    weight: OptionalHandle,
    posWeight: OptionalHandle,
    reduction: number,
  ): Handle;
  crossEntropy(
    input: Handle,
    target: Handle,
    weight: OptionalHandle,
    reduction: number,
    ignoreIndex: number,
    smoothing: number,
  ): Handle;
  nllLoss(input: Handle, target: Handle, weight: OptionalHandle, reduction: number, ignoreIndex: number): Handle;

  setRequiresGrad(x: Handle, value: boolean): void;
  requiresGrad(x: Handle): boolean;
  isLeaf(x: Handle): boolean;
  grad(x: Handle): Handle;
  hasGrad(handles: Handle[]): boolean[];
  setGrad(x: Handle, gradient: OptionalHandle): void;
  zeroGrad(handles: Handle[]): void;
  backward(x: Handle, gradient: OptionalHandle, retainGraph: boolean): void;
  autogradGrad(
    outputs: Handle[],
    inputs: Handle[],
    gradOutputs: Handle[] | null,
    retainGraph: boolean,
    createGraph: boolean,
  ): Handle[];
  detach(x: Handle): Handle;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  adamStep(
    params: Handle[],
    expAvg: Handle[],
    expAvgSq: Handle[],
    step: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: boolean,
  ): void;
  sgdStep(
    params: Handle[],
    buffers: Handle[] | null,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void;
  emaUpdate(targets: Handle[], sources: Handle[], decay: number): void;
  clipGradNorm(params: Handle[], maxNorm: number): number;

  eigh(x: Handle): [Handle, Handle];
  svdvals(x: Handle): Handle;

  /** c10d over Gloo (native/src/distributed.cc): a TCP store hosted by rank 0 and a ProcessGroupGloo. */
  distInit(
    rank: number,
    worldSize: number,
    host: string,
    port: number,
    timeoutMs: number,
    deviceHost: string | null,
  ): number;
  distStorePort(group: number): number;
  /** Sums in place across ranks (flat buckets of at most bucketBytes), then scales; returns the bucket count. */
  distAllReduce(group: number, handles: Handle[], bucketBytes: number, scale: number): number;
  distBroadcast(group: number, handles: Handle[], root: number, bucketBytes: number): void;
  distBarrier(group: number): void;
  distStoreSet(group: number, key: string, value: string): void;
  distStoreCheck(group: number, keys: string[]): boolean;
  distStoreGet(group: number, key: string): string;
  distDestroy(group: number): void;
}

let binding: NativeBinding | undefined;

function addonPath(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const candidates = [
    join(root, 'build', 'Release', 'mmgen_native.node'),
    join(root, 'build', 'Debug', 'mmgen_native.node'),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new Error(
      `mmgen's native addon is not built (looked for ${candidates[0]}). ` +
        'Run `npm install` (needs Debian packages libtorch-dev and libopenblas0-pthread: `apt-get install -y libtorch-dev libopenblas0-pthread`), ' +
        'or `npm run build:native`.',
    );
  }
  return found;
}

/** Thread count used before the addon loads: MMGEN_THREADS, default 1 (2 threads on a shared 2-vCPU box can be 8-20x slower). */
export function configuredThreads(): number {
  const value = Number(process.env.MMGEN_THREADS ?? '1');
  return Number.isInteger(value) && value > 0 ? value : 1;
}

export function native(): NativeBinding {
  if (binding) return binding;
  const threads = String(configuredThreads());
  process.env.OPENBLAS_NUM_THREADS ??= threads;
  process.env.OMP_NUM_THREADS ??= threads;
  process.env.MKL_NUM_THREADS ??= threads;
  // c10d logs through glog to stderr (socket retries, bind failures); its errors reach JS as Error messages
  process.env.GLOG_minloglevel ??= '3';
  const require = createRequire(import.meta.url);
  binding = require(addonPath()) as NativeBinding;
  binding.setNumThreads(configuredThreads());
  return binding;
}
