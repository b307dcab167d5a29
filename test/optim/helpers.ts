// Shared test helpers for the optimiser tests: tolerance comparison and leak checking.
import assert from 'node:assert/strict';
import { memory, type Tensor } from '../../src/tensor/index.js';

/** Asserts every element of `actual` is within `tolerance` (relative to max(1, |expected|)) of `expected`. */
export function assertClose(actual: Tensor | number[], expected: number[], tolerance: number, label = 'values'): void {
  const values = Array.isArray(actual) ? actual : actual.toFlatArray();
  assert.equal(values.length, expected.length, `${label}: length`);
  values.forEach((value, index) => {
    const want = expected[index] as number;
    const error = Math.abs(value - want) / Math.max(1, Math.abs(want));
    assert.ok(
      error <= tolerance,
      `${label}[${index}]: got ${value}, expected ${want} (relative error ${error.toExponential(2)} > ${tolerance})`,
    );
  });
}

/** Runs fn and asserts the live native tensor count is unchanged afterwards. */
export async function withoutLeaks(fn: () => void | Promise<void>): Promise<void> {
  const before = memory().tensors;
  await fn();
  assert.equal(memory().tensors, before, 'live tensor count changed: a tensor leaked');
}
