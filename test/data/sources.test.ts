// Builders over packaged data: fashion-mnist (Debian) and emoji (npm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildDataset } from '../../src/data/builders/index.js';
import {
  CAPTION_TEMPLATES,
  FASHION_CLASSES,
  FASHION_MNIST_DIR,
  fashionCaption,
} from '../../src/data/builders/fashion-mnist.js';
import { assertFolderHolds, countBy, hashFiles, inScratchFolder, readManifest } from './helpers.js';

test('fashion-mnist: official split in proportion, val carved from train, class captions, pixels from the IDX file', async () => {
  await inScratchFolder(async (folder) => {
    const out = join(folder, 'fm');
    const summary = await buildDataset({ builder: 'fashion-mnist', out, seed: 4, options: { count: 140, val: 0.25 } });
    const entries = await readManifest(out);
    assert.equal(entries.length, 140);
    // 60k:10k scaled to 140 → 120 from train (30 of them val), 20 from test
    assert.deepEqual(summary.info.splits, { train: 90, val: 30, test: 20 });
    assert.ok(
      entries.filter((entry) => entry.split === 'test').every((entry) => entry.id.startsWith('fashion-mnist-test-')),
    );
    assert.ok(
      entries.filter((entry) => entry.split !== 'test').every((entry) => entry.id.startsWith('fashion-mnist-train-')),
    );
    assert.deepEqual(summary.info.modalities.image, { width: 28, height: 28, channels: 1, format: 'png' });
    const labels = gunzipSync(await readFile(join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz'))).subarray(8);
    const images = gunzipSync(await readFile(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'))).subarray(16);
    for (const entry of entries.filter((candidate) => candidate.split !== 'test').slice(0, 10)) {
      const index = Number(entry.id.slice(-5));
      const label = labels[index] ?? 0;
      assert.equal(entry.attributes?.class, FASHION_CLASSES[label]);
      assert.ok(
        CAPTION_TEMPLATES.some((_, template) => fashionCaption(label, template) === entry.text),
        `${entry.text} is not a caption of ${FASHION_CLASSES[label]}`,
      );
      assert.equal((await sharp(join(out, entry.image as string)).metadata()).channels, 1);
      const { data } = await sharp(join(out, entry.image as string))
        .toColourspace('b-w')
        .raw()
        .toBuffer({ resolveWithObject: true });
      assert.deepEqual(new Uint8Array(data), new Uint8Array(images.subarray(index * 784, (index + 1) * 784)));
    }
    assert.equal(fashionCaption(9, 1), 'a photo of an ankle boot');
    assert.ok(countBy(entries, (entry) => entry.attributes?.class ?? '').size >= 8);
    // the validation choice follows the seed
    const again = join(folder, 'fm-again');
    const other = join(folder, 'fm-other');
    await buildDataset({ builder: 'fashion-mnist', out: again, seed: 4, options: { count: 140, val: 0.25 } });
    await buildDataset({ builder: 'fashion-mnist', out: other, seed: 5, options: { count: 140, val: 0.25 } });
    assert.equal(
      await readFile(join(again, 'manifest.jsonl'), 'utf8'),
      await readFile(join(out, 'manifest.jsonl'), 'utf8'),
    );
    assert.notEqual(
      await readFile(join(other, 'manifest.jsonl'), 'utf8'),
      await readFile(join(out, 'manifest.jsonl'), 'utf8'),
    );
  });
});

test('fashion-mnist: a missing source names the Debian package and leaves nothing behind', async () => {
  await inScratchFolder(async (folder) => {
    await assert.rejects(
      buildDataset({ builder: 'fashion-mnist', out: join(folder, 'fm'), options: { dir: join(folder, 'missing') } }),
      /apt-get install -y dataset-fashion-mnist/,
    );
    await assertFolderHolds(folder, []);
  });
});

test('emoji: two vendors per emoji in the same split, white background, keywords as references', async () => {
  await inScratchFolder(async (folder) => {
    const out = join(folder, 'emoji');
    const summary = await buildDataset({ builder: 'emoji', out, seed: 2, options: { count: 30 } });
    const entries = await readManifest(out);
    assert.equal(entries.length, 60);
    assert.deepEqual(summary.info.attributes?.vendor, ['google', 'twitter']);
    const byEmoji = new Map<string, typeof entries>();
    for (const entry of entries) {
      const key = entry.id.replace(/-(google|twitter)$/, '');
      byEmoji.set(key, [...(byEmoji.get(key) ?? []), entry]);
    }
    assert.equal(byEmoji.size, 30);
    for (const [key, pair] of byEmoji) {
      assert.deepEqual(pair.map((entry) => entry.attributes?.vendor).sort(), ['google', 'twitter'], key);
      assert.equal(new Set(pair.map((entry) => entry.split)).size, 1, `${key} is split by vendor`);
      assert.equal(new Set(pair.map((entry) => entry.text)).size, 1);
    }
    const splits = countBy(entries, (entry) => entry.split);
    assert.ok((splits.get('test') ?? 0) >= 2 && (splits.get('val') ?? 0) >= 2, JSON.stringify([...splits]));
    assert.ok(entries.every((entry) => entry.text === entry.text.toLowerCase() && entry.text.length > 0));
    assert.ok(entries.filter((entry) => (entry.references ?? []).length > 0).length > 40, 'most emoji have keywords');
    for (const entry of entries.slice(0, 8)) {
      const { data, info } = await sharp(join(out, entry.image as string))
        .raw()
        .toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [64, 64, 3]);
      // emoji are drawn on a transparent canvas: a corner is white after compositing
      assert.deepEqual([data[0], data[1], data[2]], [255, 255, 255], `${entry.id} corner`);
      assert.ok(new Set(data).size > 10, `${entry.id} is not blank`);
    }
    const again = join(folder, 'emoji-again');
    await buildDataset({ builder: 'emoji', out: again, seed: 2, options: { count: 30 } });
    assert.deepEqual(
      await hashFiles(again, await readManifest(again), 'image'),
      await hashFiles(out, entries, 'image'),
    );
  });
});
