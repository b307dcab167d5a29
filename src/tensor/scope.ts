// Memory scopes: every tensor created inside `tidy(fn)` is freed when fn returns, except the
// tensors it returns (found anywhere inside arrays/plain objects/Maps/Sets) and tensors marked with keep().
// N-API finalizers do not run during a synchronous loop, so explicit freeing is what keeps RSS flat.
import type { Tensor } from './tensor.js';
import { native } from './native.js';

const scopes: Tensor[][] = [];

/** Called by the Tensor constructor. */
export function track(tensor: Tensor): void {
  // checked first: scopes[-1] on an empty array is a slow named-property lookup through the prototype chain
  if (scopes.length === 0) return;
  scopes[scopes.length - 1]?.push(tensor);
}

function collect(value: unknown, found: Set<Tensor>, isTensor: (v: unknown) => v is Tensor, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (isTensor(value)) {
    found.add(value);
    return;
  }
  if (Array.isArray(value)) for (const item of value) collect(item, found, isTensor, depth + 1);
  else if (value instanceof Map) for (const item of value.values()) collect(item, found, isTensor, depth + 1);
  else if (value instanceof Set) for (const item of value) collect(item, found, isTensor, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const item of Object.values(value)) collect(item, found, isTensor, depth + 1);
}

let tensorCheck: ((v: unknown) => v is Tensor) | undefined;
/** tensor.ts registers its instanceof check here (avoids an import cycle at load time). */
export function registerTensorCheck(check: (v: unknown) => v is Tensor): void {
  tensorCheck = check;
}

/** Runs fn and frees every tensor it created except those it returns. */
export function tidy<T>(fn: () => T): T {
  scopes.push([]);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    for (const tensor of scopes.pop() ?? []) if (!tensor.kept) tensor.dispose();
    throw error;
  }
  if (result instanceof Promise) {
    scopes.pop();
    throw new Error('tidy() takes a synchronous function; await outside it and call tidy() per step');
  }
  const scope = scopes.pop() ?? [];
  const returned = new Set<Tensor>();
  if (tensorCheck) collect(result, returned, tensorCheck);
  const parent = scopes[scopes.length - 1];
  // one native call frees the whole scope
  const freed: number[] = [];
  for (const tensor of scope) {
    if (returned.has(tensor)) parent?.push(tensor);
    else if (!tensor.kept && tensor.id >= 0) {
      freed.push(tensor.id);
      tensor.id = -1;
    }
  }
  if (freed.length > 0) native().disposeMany(freed);
  return result;
}

/** Marks a tensor so no enclosing tidy() frees it (for parameters, buffers, optimiser state). */
export function keep<T extends Tensor>(tensor: T): T {
  tensor.kept = true;
  return tensor;
}

/** Disposes every tensor found inside a value (arrays, objects, Maps). */
export function dispose(value: unknown): void {
  const found = new Set<Tensor>();
  if (tensorCheck) collect(value, found, tensorCheck);
  for (const tensor of found) tensor.dispose();
}

/** Runs fn with autograd recording switched off. */
export function noGrad<T>(fn: () => T): T {
  const previous = native().setGradEnabled(false);
  try {
    return fn();
  } finally {
    native().setGradEnabled(previous);
  }
}

export function isGradEnabled(): boolean {
  return native().isGradEnabled();
}

/** Number of live native tensors and their bytes: for leak tests. */
export function memory(): { tensors: number; bytes: number } {
  return { tensors: native().liveCount(), bytes: native().liveBytes() };
}
