// Checkpoint averaging: the EMA weights are the mean over the chosen checkpoints, everything else is the
// newest checkpoint's, the folder loads and generates like a run, and bad requests are clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTextToImageRun } from '../../src/models/text-to-image-recipes.js';
import { trainTinyGanRun } from '../models/tiny-gan-run.js';
import { averageCheckpoints } from '../../src/train/average.js';
import { loadSafetensors } from '../../src/tensor/safetensors.js';
import { dispose, memory } from '../../src/tensor/index.js';

test("averaging a run's checkpoints: mean EMA weights, newest other weights, a loadable run, clear errors", async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmgen-average-'));
  try {
    const { runDir } = await trainTinyGanRun(root, {
      seed: 1,
      images: 40,
      training: { classifierWarmup: 0, checkpointEvery: 1, keepLast: 3, emaDecay: 0.5 },
    });
    const before = memory().tensors;
    const out = join(root, 'averaged');
    const result = await averageCheckpoints(runDir, out, { fromStep: 3 });
    assert.deepEqual(result.steps, [3, 4]);
    const [three, four, averaged] = await Promise.all([
      loadSafetensors(join(runDir, 'checkpoints', 'step-0000003', 'model.safetensors')),
      loadSafetensors(join(runDir, 'checkpoints', 'step-0000004', 'model.safetensors')),
      loadSafetensors(join(out, 'model.safetensors')),
    ]);
    const values = (map: Map<string, import('../../src/tensor/index.js').Tensor>, key: string): number[] =>
      map.get(key)!.toFlatArray() as number[];
    const emaKey = [...averaged.tensors.keys()].find(
      (key) => key.startsWith('ema.generator.') && key.endsWith('weight'),
    )!;
    const expected = values(three.tensors, emaKey).map(
      (value, index) => (value + (values(four.tensors, emaKey)[index] as number)) / 2,
    );
    values(averaged.tensors, emaKey).forEach((value, index) =>
      assert.ok(Math.abs(value - (expected[index] as number)) < 1e-6, `${emaKey}[${index}]`),
    );
    assert.notDeepEqual(
      values(three.tensors, emaKey),
      values(four.tensors, emaKey),
      'the two checkpoints differ, so the mean is a real test',
    );
    const plainKey = [...averaged.tensors.keys()].find(
      (key) => key.startsWith('generator.') && key.endsWith('weight'),
    )!;
    assert.deepEqual(values(averaged.tensors, plainKey), values(four.tensors, plainKey));
    for (const content of [three, four, averaged]) dispose([...content.tensors.values()]);
    const record = JSON.parse(await readFile(join(out, 'averaged.json'), 'utf8')) as { steps: number[] };
    assert.deepEqual(record.steps, [3, 4]);
    const loaded = await loadTextToImageRun(out);
    const images = loaded.model.generate(['heart', 'square'], 0);
    assert.deepEqual(images.shape, [2, 3, 64, 64]);
    images.dispose();
    loaded.model.dispose();
    assert.equal(memory().tensors, before);

    await assert.rejects(averageCheckpoints(runDir, runDir), /--out must be a new folder/);
    await assert.rejects(averageCheckpoints(join(root, 'nope'), out), /not a run folder/);
    const cli = spawnSync(
      process.execPath,
      ['bin/mmgen.js', 'average', runDir, '--out', join(root, 'late'), '--from', '4'],
      { encoding: 'utf8' },
    );
    assert.notEqual(cli.status, 0);
    assert.match(String(cli.stderr), /at least 2 checkpoints at or after step 4 .*kept: 2, 3, 4.*training.keepLast/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
