import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildDataset } from '../../src/data/builders/index.js';
import { BatchLoader, disposeBatch, loadSplit, readDataset, type Batch, type Dataset } from '../../src/data/index.js';
import { decodePlainPng } from '../../src/data/png.js';
import { Tokenizer } from '../../src/modalities/text/index.js';
import { memory, tidy, type Tensor } from '../../src/tensor/index.js';
import { withoutLeaks } from './helpers.js';

let folder = '';
let dataset: Dataset;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'mmgen-loader-'));
  // level 2: 6 combinations × 10, white shapes on black
  await buildDataset({ builder: 'shapes', out: join(folder, 'shapes'), seed: 11, options: { level: 2, count: 60 } });
  dataset = await readDataset(join(folder, 'shapes'));
});

after(async () => {
  await rm(folder, { recursive: true, force: true });
});

const indicesOf = (batch: Batch): number[] => batch.indices.toFlatArray();
/** A number computed from tensors, with every intermediate freed. */
const value = (fn: () => Tensor | undefined): number => tidy(() => fn()?.item() ?? Number.NaN);

/** Takes n batches, records their sample rows, frees them. */
function take(loader: BatchLoader, n: number): number[][] {
  return Array.from({ length: n }, () => {
    const batch = loader.next();
    const rows = indicesOf(batch);
    disposeBatch(batch);
    return rows;
  });
}

test('a split loads into contiguous [N,C,H,W] float images in [-1, 1] matching the PNGs', async () => {
  await withoutLeaks(async () => {
    const split = await loadSplit(dataset, { split: 'train' });
    try {
      assert.equal(split.size, dataset.info.splits.train);
      assert.equal(split.size, 48);
      assert.deepEqual(split.images?.shape, [48, 3, 64, 64]);
      assert.equal(split.images?.dtype, 'float32');
      assert.equal(
        value(() => split.images?.min()),
        -1,
      );
      assert.equal(
        value(() => split.images?.max()),
        1,
      );
      // row 5, channel 1, pixel (y=20, x=33) equals the PNG's byte mapped to [-1, 1]
      const entry = split.entries[5];
      const { data } = await sharp(join(dataset.dir, entry?.image as string))
        .raw()
        .toBuffer({ resolveWithObject: true });
      for (const [y, x] of [
        [20, 33],
        [32, 32],
        [0, 0],
        [63, 10],
      ] as const) {
        const pixel = value(() => split.images?.select(0, 5).select(0, 1).select(0, y).select(0, x));
        assert.ok(Math.abs(pixel - ((data[(y * 64 + x) * 3 + 1] ?? 0) / 127.5 - 1)) < 1e-6);
      }
      // attribute labels index dataset.json's value lists
      const shapes = split.labels.get('shape')?.toFlatArray() ?? [];
      const sizes = split.labels.get('size')?.toFlatArray() ?? [];
      split.entries.forEach((e, row) => {
        assert.equal(dataset.info.attributes?.shape?.[shapes[row] ?? -1], e.attributes?.shape);
        assert.equal(dataset.info.attributes?.size?.[sizes[row] ?? -1], e.attributes?.size);
      });
    } finally {
      split.dispose();
    }
  });
});

test('uint8 images keep the bytes; captions become padded token ids', async () => {
  await withoutLeaks(async () => {
    const tokenizer = Tokenizer.fromCorpus(
      dataset.entries.map((entry) => entry.text),
      { level: 'word' },
    );
    const split = await loadSplit(dataset, { split: 'val', images: 'uint8', text: { tokenizer } });
    try {
      assert.equal(split.images?.dtype, 'uint8');
      assert.deepEqual(split.images?.shape, [6, 3, 64, 64]);
      assert.equal(
        value(() => split.images?.max()),
        255,
      );
      assert.deepEqual(split.tokens?.shape, [6, 2]);
      assert.deepEqual(split.lengths?.toFlatArray(), [2, 2, 2, 2, 2, 2]);
      const tokens = split.tokens?.toArray() as number[][];
      split.entries.forEach((entry, row) => assert.equal(tokenizer.decode(tokens[row] ?? []), entry.text));
      const batches = new BatchLoader(split, { batchSize: 4, seed: 1, imagesAsFloat: true });
      const batch = batches.next();
      assert.equal(batch.images?.dtype, 'float32');
      assert.equal(
        value(() => batch.images?.min()),
        -1,
      );
      assert.deepEqual(batch.tokens?.shape, [4, 2]);
      disposeBatch(batch);
    } finally {
      split.dispose();
    }
  });
});

test('batches follow a seeded shuffle: same seed same order, each epoch a new permutation', async () => {
  await withoutLeaks(async () => {
    const split = await loadSplit(dataset, { split: 'train', images: 'uint8' });
    try {
      const first = new BatchLoader(split, { batchSize: 8, seed: 5 });
      assert.equal(first.batchesPerEpoch, 6);
      const epochs = take(first, 12);
      const epoch0 = epochs.slice(0, 6).flat();
      const epoch1 = epochs.slice(6).flat();
      assert.deepEqual(
        [...epoch0].sort((a, b) => a - b),
        Array.from({ length: 48 }, (_, i) => i),
      );
      assert.deepEqual(
        [...epoch1].sort((a, b) => a - b),
        Array.from({ length: 48 }, (_, i) => i),
      );
      assert.notDeepEqual(epoch0, epoch1);
      assert.notDeepEqual(
        epoch0,
        Array.from({ length: 48 }, (_, i) => i),
      );
      assert.deepEqual(take(new BatchLoader(split, { batchSize: 8, seed: 5 }), 12), epochs);
      assert.notDeepEqual(take(new BatchLoader(split, { batchSize: 8, seed: 6 }), 6).flat(), epoch0);
      // a batch's tensors are the rows its indices name
      const loader = new BatchLoader(split, { batchSize: 8, seed: 5 });
      const batch = loader.next();
      assert.deepEqual(batch.images?.shape, [8, 3, 64, 64]);
      assert.deepEqual(
        batch.entries.map((entry) => entry.id),
        indicesOf(batch).map((row) => split.entries[row]?.id),
      );
      const row = indicesOf(batch)[3] ?? 0;
      assert.equal(
        value(() =>
          split.images
            ?.select(0, row)
            .eq(batch.images?.select(0, 3) as Tensor)
            .all(),
        ),
        1,
      );
      disposeBatch(batch);
      // without shuffling, manifest order; dropLast false keeps the short last batch
      const ordered = take(new BatchLoader(split, { batchSize: 20, shuffle: false, dropLast: false }), 3);
      assert.deepEqual(
        ordered.map((rows) => rows.length),
        [20, 20, 8],
      );
      assert.deepEqual(
        ordered.flat(),
        Array.from({ length: 48 }, (_, i) => i),
      );
    } finally {
      split.dispose();
    }
  });
});

test('a saved cursor resumes on exactly the batch an uninterrupted run serves next', async () => {
  await withoutLeaks(async () => {
    const split = await loadSplit(dataset, { split: 'train', images: 'uint8' });
    try {
      const uninterrupted = take(new BatchLoader(split, { batchSize: 7, seed: 9 }), 20);
      for (const stop of [0, 3, 6, 13]) {
        const loader = new BatchLoader(split, { batchSize: 7, seed: 9 });
        take(loader, stop);
        const cursor = JSON.parse(JSON.stringify(loader.cursor)) as typeof loader.cursor;
        const resumed = new BatchLoader(split, { batchSize: 7, seed: 123 });
        resumed.restore(cursor);
        assert.deepEqual(take(resumed, 20 - stop), uninterrupted.slice(stop), `resume after ${stop} batches`);
      }
      const loader = new BatchLoader(split, { batchSize: 7, seed: 9 });
      const seen: number[] = [];
      for (const batch of loader.epochBatches()) {
        seen.push(...indicesOf(batch));
        disposeBatch(batch);
      }
      assert.equal(seen.length, 42);
      assert.deepEqual(seen, uninterrupted.slice(0, 6).flat());
      assert.deepEqual(loader.cursor, { seed: 9, epoch: 0, position: 42 });
      // the next call serves the next epoch (the 6 left-over samples are dropped)
      const next: number[] = [];
      for (const batch of loader.epochBatches()) {
        assert.equal(batch.epoch, 1);
        next.push(...indicesOf(batch));
        disposeBatch(batch);
      }
      assert.deepEqual(next, uninterrupted.slice(6, 12).flat());
      assert.throws(() => loader.restore({ seed: 9, epoch: 0, position: 99 }), /invalid data cursor/);
      assert.throws(() => new BatchLoader(split, { batchSize: 100 }), /larger than the train split/);
    } finally {
      split.dispose();
    }
  });
});

test('loading errors name the folder, the split or the file', async () => {
  const before = memory().tensors;
  await assert.rejects(
    loadSplit(join(folder, 'nothing-here'), { split: 'train' }),
    /not an mmgen dataset: dataset\.json is missing/,
  );
  const onlyTrain: Dataset = { ...dataset, entries: dataset.entries.filter((entry) => entry.split === 'train') };
  await assert.rejects(loadSplit(onlyTrain, { split: 'test' }), /no samples in split "test"/);
  const entry = dataset.entries.find((candidate) => candidate.split === 'test');
  await writeFile(join(dataset.dir, entry?.image as string), 'not a png');
  await assert.rejects(
    loadSplit(dataset, { split: 'test' }),
    new RegExp(`cannot decode image .*${entry?.image as string}`),
  );
  assert.equal(memory().tensors, before);
});

test('the fast PNG path decodes exactly what sharp decodes, and leaves other PNGs to sharp', async () => {
  const noise = Uint8Array.from({ length: 37 * 23 * 3 }, (_, i) => (i * 7919) % 251);
  const smooth = Uint8Array.from({ length: 37 * 23 * 3 }, (_, i) => Math.floor(i / 11) % 256);
  for (const [name, pixels] of [
    ['noise', noise],
    ['smooth', smooth],
  ] as const) {
    for (const channels of [1, 3] as const) {
      const raw = channels === 3 ? pixels : pixels.subarray(0, 37 * 23);
      const png = await sharp(raw, { raw: { width: 37, height: 23, channels } })
        .toColourspace(channels === 1 ? 'b-w' : 'srgb')
        .png({ adaptiveFiltering: true })
        .toBuffer();
      const decoded = await decodePlainPng(png);
      assert.deepEqual([decoded?.width, decoded?.height, decoded?.channels], [37, 23, channels], name);
      assert.deepEqual(decoded?.data, new Uint8Array(raw), `${name} with ${channels} channel(s)`);
    }
  }
  for (const entry of dataset.entries.filter((candidate) => candidate.split === 'train').slice(0, 5)) {
    const bytes = await readFile(join(dataset.dir, entry.image as string));
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual((await decodePlainPng(bytes))?.data, new Uint8Array(data));
  }
  const rgba = await sharp({ create: { width: 4, height: 4, channels: 4, background: '#ff000080' } })
    .png()
    .toBuffer();
  assert.equal(await decodePlainPng(rgba), undefined);
  const truncated = (
    await sharp(noise, { raw: { width: 37, height: 23, channels: 3 } })
      .png()
      .toBuffer()
  ).subarray(0, 200);
  await assert.rejects(decodePlainPng(truncated), /truncated/);
});
