// Shared test helpers for test/nn: closeness checks and the no-leak guard.
import assert from 'node:assert/strict';
import { type NestedArray, type Tensor, memory } from '../../src/tensor/index.js';

/** Asserts every element of `actual` is within `tolerance` of `expected` (a tensor, flat or nested array). */
export function assertClose(
  actual: Tensor | number[] | NestedArray,
  expected: Tensor | number[] | NestedArray,
  tolerance = 1e-5,
  label = '',
): void {
  const flat = (value: Tensor | NestedArray): number[] =>
    typeof value === 'number'
      ? [value]
      : Array.isArray(value)
        ? (value.flat(Infinity as 1) as number[])
        : value.toFlatArray();
  const a = flat(actual);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${label} length ${a.length} != ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs((a[i] ?? NaN) - (e[i] ?? NaN));
    if (!(difference <= tolerance))
      assert.fail(`${label} element ${i}: ${a[i]} vs expected ${e[i]} (tolerance ${tolerance})`);
  }
}

/** Runs fn and asserts the live tensor count is the same afterwards. */
export async function noLeaks(fn: () => void | Promise<void>): Promise<void> {
  const before = memory().tensors;
  await fn();
  assert.equal(memory().tensors, before, 'tensors leaked');
}
