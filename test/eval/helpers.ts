// Shared helpers for the eval and judge tests: a tiny shapes dataset built with the real builder,
// and leak checking.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { memory } from '../../src/tensor/index.js';

export interface TinyDataset {
  dir: string;
  root: string;
  cleanup(): Promise<void>;
}

/**
 * A small shapes dataset (level 3: shape, size, colour; 30 combinations). 300 samples give 10 per
 * combination: 1 test, 1 val and 8 train each.
 */
export async function tinyShapes(
  options: { level?: number; count?: number; seed?: number } = {},
): Promise<TinyDataset> {
  const root = await mkdtemp(join(tmpdir(), 'mmgen-eval-'));
  const dir = join(root, 'shapes');
  await buildDataset({
    builder: 'shapes',
    out: dir,
    seed: options.seed ?? 0,
    options: { level: options.level ?? 3, count: options.count ?? 300, textures: 'noise' },
  });
  return { dir, root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Runs fn and asserts the live native tensor count is unchanged afterwards. */
export async function withoutLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = memory().tensors;
  const result = await fn();
  assert.equal(memory().tensors, before, 'live tensor count changed: a tensor leaked');
  return result;
}
