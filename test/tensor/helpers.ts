// Shared helpers for the tensor tests: closeness checks, a leak guard and a finite-difference
// gradient checker (float64, central differences) against libtorch's autograd.
import assert from 'node:assert/strict';
import { type NestedArray, type Tensor, memory, noGrad, tidy, tensor } from '../../src/tensor/index.js';

export function flat(value: NestedArray): number[] {
  return typeof value === 'number' ? [value] : value.flatMap(flat);
}

/** Asserts two number lists (or nested arrays) are elementwise within tolerance, with a readable diff. */
export function assertClose(
  actual: NestedArray | Tensor,
  expected: NestedArray,
  tolerance = 1e-5,
  label = 'value',
): void {
  const got = typeof actual === 'number' || Array.isArray(actual) ? actual : actual.toArray();
  const a = flat(got);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${label}: ${a.length} elements, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? NaN;
    const y = e[i] ?? NaN;
    const scale = Math.max(1, Math.abs(y));
    if (!(Math.abs(x - y) <= tolerance * scale) && !(Number.isNaN(x) && Number.isNaN(y)) && x !== y) {
      assert.fail(
        `${label}[${i}] = ${x}, expected ${y} (tolerance ${tolerance})\n  actual:   ${JSON.stringify(a)}\n  expected: ${JSON.stringify(e)}`,
      );
    }
  }
}

/** Asserts shape, dtype and values of a tensor, then disposes it. */
export function expectTensor(
  t: Tensor,
  expected: NestedArray,
  options: { dtype?: string; shape?: number[]; tolerance?: number } = {},
): void {
  try {
    if (options.dtype !== undefined) assert.equal(t.dtype, options.dtype, 'dtype');
    if (options.shape !== undefined) assert.deepEqual(t.shape, options.shape, 'shape');
    assertClose(t.toArray(), expected, options.tolerance ?? 1e-5);
  } finally {
    t.dispose();
  }
}

/** Runs fn inside tidy and asserts the live-tensor count is unchanged afterwards. */
export function noLeak(fn: () => void): void {
  const before = memory().tensors;
  tidy(fn);
  assert.equal(memory().tensors, before, 'live tensors after the test');
}

/**
 * Compares the autograd gradient of `loss(...inputs)` (a scalar) with central finite differences.
 * Inputs must be float64 tensors; they are made to require grad here.
 */
export function gradCheck(
  label: string,
  inputs: Tensor[],
  loss: (...inputs: Tensor[]) => Tensor,
  options: { step?: number; tolerance?: number } = {},
): void {
  const step = options.step ?? 1e-6;
  const tolerance = options.tolerance ?? 1e-5;
  tidy(() => {
    for (const input of inputs) {
      assert.equal(input.dtype, 'float64', `${label}: gradCheck needs float64 inputs`);
      input.requiresGrad_(true);
    }
    const output = loss(...inputs);
    assert.deepEqual(output.shape, [], `${label}: loss must be a scalar`);
    output.backward();
    inputs.forEach((input, which) => {
      const gradient = input.grad;
      assert.ok(gradient, `${label}: input ${which} has no gradient`);
      const analytic = gradient.toFlatArray();
      const base = input.toFlatArray();
      const numeric = base.map((_, i) =>
        noGrad(() => {
          const evaluate = (delta: number): number =>
            tidy(() => {
              const shifted = base.slice();
              shifted[i] = (shifted[i] ?? 0) + delta;
              const replaced = inputs.map((other, k) =>
                k === which ? tensor(Float64Array.from(shifted), { shape: input.shape }) : other,
              );
              return loss(...replaced).item();
            });
          return (evaluate(step) - evaluate(-step)) / (2 * step);
        }),
      );
      assertClose(analytic, numeric, tolerance, `${label}: d loss / d input ${which}`);
    });
  });
}

/** Deterministic pseudo-random numbers for test inputs (independent of libtorch's generators). */
export function sequence(count: number, seed = 1): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

export function float64(shape: number[], seed = 1): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return tensor(Float64Array.from(sequence(count, seed)), { shape });
}
