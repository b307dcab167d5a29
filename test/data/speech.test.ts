// Builders over espeak-ng: spoken-digits and the tri-modal digits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildDataset } from '../../src/data/builders/index.js';
import { centreClip, trimSilence } from '../../src/data/builders/speech.js';
import { loadSplit, readDataset, type DataEvent } from '../../src/data/index.js';
import { tidy } from '../../src/tensor/index.js';
import { assertFolderHolds, countBy, hashFiles, inScratchFolder, readManifest, withoutLeaks } from './helpers.js';

test('without espeak-ng on PATH the build names the package to install and leaves nothing', async () => {
  await inScratchFolder(async (folder) => {
    const path = process.env.PATH;
    process.env.PATH = folder;
    try {
      await assert.rejects(
        buildDataset({ builder: 'spoken-digits', out: join(folder, 'sd'), options: { count: 10 } }),
        /espeak-ng is not installed; install it with `apt-get install -y espeak-ng`/,
      );
    } finally {
      process.env.PATH = path;
    }
    await assertFolderHolds(folder, []);
  });
});

test('silence trimming and centring', () => {
  const clip = new Float32Array(1000);
  clip.fill(0.5, 400, 500);
  const trimmed = trimSilence(clip, 0.02, 10);
  assert.equal(trimmed.length, 120);
  const centred = centreClip(trimmed, 200);
  assert.equal(centred.length, 200);
  assert.equal(centred[39], 0);
  assert.equal(centred[50], 0.5);
  assert.equal(centred[150], 0);
  const cut = centreClip(
    Float32Array.from({ length: 10 }, (_, i) => i),
    4,
  );
  assert.deepEqual(Array.from(cut), [3, 4, 5, 6]);
});

test('spoken-digits: balanced digits, 16 384 samples at 16 kHz, varied voices, seeded', async () => {
  await inScratchFolder(async (folder) => {
    const out = join(folder, 'sd');
    const events: DataEvent[] = [];
    const summary = await buildDataset({
      builder: 'spoken-digits',
      out,
      seed: 1,
      options: { count: 20 },
      onEvent: (event) => events.push(event),
    });
    assert.deepEqual(summary.info.modalities.audio, { sampleRate: 16000, samples: 16384, channels: 1, format: 'wav' });
    assert.equal(summary.info.modalities.image, undefined);
    const entries = await readManifest(out);
    assert.equal(entries.length, 20);
    assert.deepEqual(new Set(countBy(entries, (entry) => entry.text).values()), new Set([2]));
    assert.ok(new Set(entries.map((entry) => entry.attributes?.voice)).size >= 10, 'voices vary');
    assert.deepEqual(summary.info.splits, { train: 16, val: 2, test: 2 });
    assert.deepEqual(events.at(-1), { type: 'progress', done: 20, total: 20, message: 'speaking digits (espeak-ng)' });
    await withoutLeaks(async () => {
      const split = await loadSplit(out, { split: 'train' });
      try {
        assert.deepEqual(split.audio?.shape, [16, 16384]);
        const peak = tidy(() => split.audio?.abs().max(1).toFlatArray() ?? []);
        for (const value of peak) assert.ok(value > 0.85 && value <= 0.91, `peak ${value}`);
        // centred: the clip edges are silent, the middle is not
        const edges = tidy(() => split.audio?.narrow(1, 0, 200).abs().max().item() ?? 1);
        const middle = tidy(() => split.audio?.narrow(1, 7000, 2000).abs().mean(1).min().item() ?? 0);
        assert.ok(edges < 1e-3, `edges ${edges}`);
        assert.ok(middle > 0.01, `middle ${middle}`);
      } finally {
        split.dispose();
      }
    });
    const again = join(folder, 'sd-again');
    await buildDataset({ builder: 'spoken-digits', out: again, seed: 1, options: { count: 20 } });
    assert.deepEqual(
      await hashFiles(again, await readManifest(again), 'audio'),
      await hashFiles(out, entries, 'audio'),
    );
  });
});

test('digits: each sample has the spoken digit, a 32×32 drawn digit and the word', async () => {
  await inScratchFolder(async (folder) => {
    const out = join(folder, 'digits');
    await buildDataset({ builder: 'digits', out, seed: 3, options: { count: 20, speed: '150-200' } });
    const dataset = await readDataset(out);
    assert.deepEqual(dataset.info.modalities.image, { width: 32, height: 32, channels: 1, format: 'png' });
    assert.equal(dataset.info.modalities.audio?.samples, 16384);
    assert.ok((dataset.info.attributes?.font?.length ?? 0) >= 10, 'fonts from three Debian packages');
    assert.ok(new Set(dataset.entries.map((entry) => entry.attributes?.font)).size >= 5);
    for (const entry of dataset.entries) {
      assert.equal(entry.text, entry.attributes?.digit);
      assert.ok(entry.image && entry.audio);
      const { data } = await sharp(join(out, entry.image))
        .toColourspace('b-w')
        .raw()
        .toBuffer({ resolveWithObject: true });
      const lit = data.filter((value) => value > 128).length;
      assert.ok(lit > 15 && lit < 600, `${entry.id}: ${lit} lit pixels`);
      assert.ok(Math.max(...data) > 200, `${entry.id}: the digit is white`);
      assert.equal(data[0], 0, `${entry.id}: the background is black`);
    }
    await withoutLeaks(async () => {
      const split = await loadSplit(dataset, { split: 'train', images: 'uint8' });
      assert.deepEqual(split.images?.shape, [16, 1, 32, 32]);
      assert.deepEqual(split.audio?.shape, [16, 16384]);
      split.dispose();
    });
  });
});
