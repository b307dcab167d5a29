// Free functions over several tensors, and the autograd helpers that are not methods.
import { native } from './native.js';
import { Tensor, handleOf } from './tensor.js';
import { synchronizeGradients } from './distributed.js';

const ids = (tensors: Tensor[]): number[] => tensors.map(handleOf);

export const cat = (tensors: Tensor[], dim = 0): Tensor => new Tensor(native().cat(ids(tensors), dim));
export const stack = (tensors: Tensor[], dim = 0): Tensor => new Tensor(native().stack(ids(tensors), dim));
export const where = (condition: Tensor, a: Tensor, b: Tensor): Tensor =>
  new Tensor(native().where(handleOf(condition), handleOf(a), handleOf(b)));
export const matmul = (a: Tensor, b: Tensor): Tensor => a.matmul(b);
export const bmm = (a: Tensor, b: Tensor): Tensor => a.bmm(b);
/** input + batch1 @ batch2 in one kernel (input broadcasts to the product's shape). */
export const baddbmm = (input: Tensor, batch1: Tensor, batch2: Tensor): Tensor =>
  new Tensor(native().baddbmm(handleOf(input), handleOf(batch1), handleOf(batch2)));
export const einsum = (equation: string, ...operands: Tensor[]): Tensor =>
  new Tensor(native().einsum(equation, ids(operands)));
export const maximum = (a: Tensor, b: Tensor): Tensor => a.maximum(b);
export const minimum = (a: Tensor, b: Tensor): Tensor => a.minimum(b);
/** A complex tensor from magnitude and phase (for Griffin-Lim). */
export const polar = (magnitude: Tensor, phase: Tensor): Tensor =>
  new Tensor(native().binary(22, handleOf(magnitude), handleOf(phase)));

/** Gradients of outputs with respect to inputs (torch.autograd.grad); createGraph for higher order (R1 penalty). */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor[],
  options: { gradOutputs?: Tensor[]; retainGraph?: boolean; createGraph?: boolean } = {},
): Tensor[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const createGraph = options.createGraph ?? false;
  return native()
    .autogradGrad(
      ids(outs),
      ids(inputs),
      options.gradOutputs ? ids(options.gradOutputs) : null,
      options.retainGraph ?? createGraph,
      createGraph,
    )
    .map((id) => new Tensor(id));
}

/** Drops the gradients of the given tensors (sets them to none). */
export function zeroGrad(tensors: Tensor[]): void {
  native().zeroGrad(ids(tensors));
}

/** Scales gradients so their global norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(tensors: Tensor[], maxNorm: number): number {
  // under data parallelism the norm is the averaged gradient's, as one process would see it
  synchronizeGradients(tensors);
  return native().clipGradNorm(ids(tensors), maxNorm);
}

export function setNumThreads(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new Error(`thread count must be a positive integer, got ${count}`);
  native().setNumThreads(count);
}
export const getNumThreads = (): number => native().getNumThreads();
export const runtimeInfo = (): { torch: string; parallel: string } => native().versionInfo();
/** libtorch's warnings since the last call (deduplicated, at most 64). libtorch would print them to stderr; mmgen queues them so the surfaces decide what to show. */
export const takeWarnings = (): string[] => native().takeWarnings();
