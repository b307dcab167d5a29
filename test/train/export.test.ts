// Exporting a run for inference: the EMA weights alone (their trained twins left out), full or half precision
// or 8-bit weights; the folder loads and generates like the run (the same bytes at full precision, within
// rounding at half and int8), holds no training state, cannot be resumed by mistake, and bad requests are clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTextToImageRun } from '../../src/models/text-to-image-recipes.js';
import { trainTinyGanRun } from '../models/tiny-gan-run.js';
import { exportRun } from '../../src/train/export.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { memory } from '../../src/tensor/index.js';

async function generated(runDir: string): Promise<Float32Array> {
  const { model } = await loadTextToImageRun(runDir);
  try {
    const images = model.generate(['heart', 'square', 'ellipse'], 7);
    const values = images.dataSync() as Float32Array;
    images.dispose();
    return values;
  } finally {
    model.dispose();
  }
}

test('export: EMA weights alone, full precision same bytes, half and int8 within rounding, no training state, clear errors', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmgen-export-'));
  try {
    const { runDir } = await trainTinyGanRun(root, {
      seed: 2,
      images: 40,
      training: { classifierWarmup: 0, emaDecay: 0.5 },
    });
    const before = memory().tensors;
    const full = join(root, 'full');
    const half = join(root, 'half');
    const fullResult = await exportRun(runDir, full);
    const halfResult = await exportRun(runDir, half, { half: true });
    const eightBit = join(root, 'int8');
    const eightBitResult = await exportRun(runDir, eightBit, { half: true, int8: true });
    assert.ok(fullResult.dropped > 0, 'the generator trained copies are left to their EMA');
    assert.equal(halfResult.tensors, fullResult.tensors);
    // float weights dominate the file, so half precision nearly halves it
    assert.ok(halfResult.bytes < fullResult.bytes * 0.55, `${halfResult.bytes} vs ${fullResult.bytes}`);
    assert.ok(fullResult.bytes < (await stat(join(runDir, 'model.safetensors'))).size);
    // and 8-bit weight matrices nearly halve it again
    assert.ok(eightBitResult.bytes < fullResult.bytes * 0.32, `${eightBitResult.bytes} vs ${fullResult.bytes}`);
    const files = await readdir(half);
    for (const name of ['config.json', 'tokenizer.json', 'model.safetensors', 'exported.json'])
      assert.ok(files.includes(name), name);
    for (const name of ['trainer.safetensors', 'state.json', 'checkpoints']) assert.ok(!files.includes(name), name);

    const original = await generated(runDir);
    const fromFull = await generated(full);
    const fromHalf = await generated(half);
    assert.deepEqual(
      Buffer.from(fromFull.buffer),
      Buffer.from(original.buffer),
      'full precision export draws the same bytes',
    );
    let worst = 0;
    let total = 0;
    for (let i = 0; i < original.length; i++) {
      const difference = Math.abs((fromHalf[i] as number) - (original[i] as number));
      worst = Math.max(worst, difference);
      total += difference;
    }
    // pixels in [-1, 1]: half-precision weights move them by rounding only
    assert.ok(total / original.length < 0.01, `mean pixel difference ${total / original.length}`);
    assert.ok(worst > 0 && worst < 0.1, `largest pixel difference ${worst}`);
    // 8-bit weights move them more, but a picture stays the same picture
    const fromEightBit = await generated(eightBit);
    let eightBitTotal = 0;
    for (let i = 0; i < original.length; i++)
      eightBitTotal += Math.abs((fromEightBit[i] as number) - (original[i] as number));
    assert.ok(eightBitTotal > total, 'int8 rounds more than half precision');
    assert.ok(
      eightBitTotal / original.length < 0.005,
      `mean pixel difference at int8 ${eightBitTotal / original.length}`,
    );
    assert.equal(memory().tensors, before);

    await assert.rejects(
      readCheckpoint(half),
      /exported for inference by `mmgen export`.*resume the run it was exported from/,
    );
    await assert.rejects(exportRun(runDir, runDir), /--out must be a new folder/);
    await assert.rejects(exportRun(join(root, 'nope'), join(root, 'x')), /not a trained run/);
    await assert.rejects(exportRun(runDir, full), /already holds files/);
    await mkdir(join(root, 'empty'));
    await exportRun(runDir, join(root, 'empty'));
    await writeFile(join(root, 'a-file'), 'x');
    const cli = spawnSync(process.execPath, ['bin/mmgen.js', 'export', runDir, '--out', join(root, 'a-file')], {
      encoding: 'utf8',
    });
    assert.notEqual(cli.status, 0);
    assert.match(String(cli.stderr), /--out .*a-file is a file, not a folder/);
    assert.ok(!existsSync(join(root, 'a-file.tmp-')) && (await readdir(root)).every((name) => !name.includes('.tmp-')));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
