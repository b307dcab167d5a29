// The joint model tests' data: 30 spoken level-1 shapes (seed 2), built into a given folder, or into a scratch
// folder removed after the calling file's tests.
import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';

/** Builds the 30 spoken level-1 shapes (seed 2) into `out`. */
export async function buildTinySpokenShapes(out: string): Promise<void> {
  await buildDataset({
    builder: 'shapes',
    out,
    seed: 2,
    options: { level: 1, count: 30, spoken: true, val: 0.1, test: 0.1 },
  });
}

/** The 30 spoken shapes in a scratch folder that is removed after the calling file's tests. */
export async function tinySpokenShapes(prefix: string): Promise<{ root: string; dataset: string }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const dataset = join(root, 'shapes');
  await buildTinySpokenShapes(dataset);
  test.after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return { root, dataset };
}
