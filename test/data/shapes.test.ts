import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildDataset } from '../../src/data/builders/index.js';
import { COLOURS, attributeCombinations, levelAttributes, shapeCaption } from '../../src/data/builders/shapes.js';
import { readDataset, type DataEvent } from '../../src/data/index.js';
import { assertFolderHolds, countBy, hashFiles, inScratchFolder, readManifest } from './helpers.js';

async function pixels(path: string): Promise<Uint8Array> {
  const { data } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

test('level 5: every attribute combination equally often, splits in proportion, captions match attributes', async () => {
  await inScratchFolder(async (folder) => {
    const events: DataEvent[] = [];
    const out = join(folder, 'shapes');
    const summary = await buildDataset({
      builder: 'shapes',
      out,
      seed: 3,
      options: { level: 5, count: 480 },
      onEvent: (event) => events.push(event),
    });
    const entries = await readManifest(out);
    assert.equal(entries.length, 480);
    assert.equal(attributeCombinations(levelAttributes(5)).length, 240);
    const perCombination = countBy(entries, (entry) => entry.text);
    assert.equal(perCombination.size, 240);
    assert.deepEqual(new Set(perCombination.values()), new Set([2]));
    for (const entry of entries) assert.equal(entry.text, shapeCaption(entry.attributes ?? {}));
    assert.ok(entries.some((entry) => entry.text === 'small yellow ellipse at bottom right on light'));
    assert.deepEqual(summary.info.splits, { train: 384, val: 48, test: 48 });
    // every combination is split alike: its test (and val) count differs by at most one between combinations
    for (const split of ['val', 'test'] as const) {
      const perCombination = countBy(
        entries.filter((entry) => entry.split === split),
        (entry) => entry.text,
      );
      const counts = [...perCombination.values(), ...new Array<number>(240 - perCombination.size).fill(0)];
      assert.ok(
        Math.max(...counts) - Math.min(...counts) <= 1,
        `${split}: ${Math.min(...counts)}..${Math.max(...counts)} per combination`,
      );
    }
    assert.deepEqual(summary.info.attributes?.colour, Object.keys(COLOURS));
    assert.deepEqual(summary.info.modalities.image, { width: 64, height: 64, channels: 3, format: 'png' });
    assert.deepEqual(summary.info.modalities.text.vocabulary.slice(0, 4), ['at', 'big', 'blue', 'bottom']);
    const progress = events.filter((event) => event.type === 'progress');
    assert.ok(progress.length >= 2);
    assert.deepEqual(progress.at(-1), { type: 'progress', done: 480, total: 480, message: 'rendering shapes' });
    await assertFolderHolds(folder, ['shapes']);

    // the light/dark background is visible: median brightness per image
    for (const entry of entries.slice(0, 40)) {
      const data = await pixels(join(out, entry.image as string));
      const grey = Array.from(
        { length: data.length / 3 },
        (_, p) => ((data[p * 3] ?? 0) + (data[p * 3 + 1] ?? 0) + (data[p * 3 + 2] ?? 0)) / 3,
      ).sort((a, b) => a - b);
      const median = grey[grey.length >> 1] ?? 0;
      if (entry.attributes?.background === 'light')
        assert.ok(median > 150, `${entry.id} light background has median ${median}`);
      else assert.ok(median < 90, `${entry.id} dark background has median ${median}`);
    }
  });
});

test('level 4: the shape sits in its quadrant and has its colour', async () => {
  await inScratchFolder(async (folder) => {
    const out = join(folder, 'l4');
    await buildDataset({ builder: 'shapes', out, seed: 1, options: { level: 4, count: 120 } });
    const entries = await readManifest(out);
    assert.equal(new Set(entries.map((entry) => entry.text)).size, 120);
    for (const entry of entries) {
      const data = await pixels(join(out, entry.image as string));
      let count = 0;
      let sumX = 0;
      let sumY = 0;
      const sums: [number, number, number] = [0, 0, 0];
      for (let p = 0; p < 64 * 64; p++) {
        const [r, g, b] = [data[p * 3] ?? 0, data[p * 3 + 1] ?? 0, data[p * 3 + 2] ?? 0];
        if (r + g + b > 60) {
          count++;
          sumX += p % 64;
          sumY += Math.floor(p / 64);
          sums[0] += r;
          sums[1] += g;
          sums[2] += b;
        }
      }
      const attributes = entry.attributes ?? {};
      const expectedArea = attributes.size === 'big' ? [300, 1100] : [60, 300];
      assert.ok(
        count > (expectedArea[0] ?? 0) && count < (expectedArea[1] ?? 0),
        `${entry.text}: ${count} shape pixels`,
      );
      const [x, y] = [sumX / count, sumY / count];
      assert.equal(
        x < 32 ? 'left' : 'right',
        attributes.position?.split(' ')[1],
        `${entry.text}: centroid x ${x.toFixed(1)}`,
      );
      assert.equal(
        y < 32 ? 'top' : 'bottom',
        attributes.position?.split(' ')[0],
        `${entry.text}: centroid y ${y.toFixed(1)}`,
      );
      // the mean colour is nearest to the named colour (direction in RGB space)
      const mean = sums.map((sum) => sum / count);
      const cosine = (a: readonly number[], b: readonly number[]): number =>
        a.reduce((s, v, i) => s + v * (b[i] ?? 0), 0) / (Math.hypot(...a) * Math.hypot(...b));
      const nearest = Object.entries(COLOURS).sort((a, b) => cosine(mean, b[1]) - cosine(mean, a[1]))[0]?.[0];
      assert.equal(nearest, attributes.colour, `${entry.text}: mean colour ${mean.map(Math.round).join(',')}`);
    }
  });
});

test('levels 1-3: captions grow with the level; level 1 is white on black', async () => {
  await inScratchFolder(async (folder) => {
    const expected: Record<number, string[]> = {
      1: ['square', 'ellipse', 'heart'],
      2: ['small square', 'big heart'],
      3: ['small red ellipse', 'big pink heart'],
    };
    for (const level of [1, 2, 3]) {
      const out = join(folder, `l${level}`);
      const combinations = attributeCombinations(levelAttributes(level)).length;
      const summary = await buildDataset({
        builder: 'shapes',
        out,
        seed: 0,
        options: { level, count: combinations, val: 0, test: 0 },
      });
      const entries = await readManifest(out);
      assert.equal(entries.length, combinations);
      assert.deepEqual(Object.keys(summary.info.attributes ?? {}), ['shape', 'size', 'colour'].slice(0, level));
      for (const caption of expected[level] ?? [])
        assert.ok(
          entries.some((entry) => entry.text === caption),
          `level ${level} lacks "${caption}"`,
        );
      if (level === 1) {
        const data = await pixels(join(out, entries[0]?.image as string));
        const values = new Set(data);
        assert.ok(values.has(0) && values.has(255), 'level 1 images are white shapes on black');
        for (let p = 0; p < data.length; p += 3)
          assert.ok(data[p] === data[p + 1] && data[p] === data[p + 2], 'level 1 images are grey');
      }
    }
  });
});

test('same seed gives identical manifest and image bytes; another seed differs', async () => {
  await inScratchFolder(async (folder) => {
    const build = async (name: string, seed: number): Promise<{ manifest: string; hashes: string[] }> => {
      const out = join(folder, name);
      await buildDataset({ builder: 'shapes', out, seed, options: { level: 5, count: 60 } });
      const entries = await readManifest(out);
      return {
        manifest: await readFile(join(out, 'manifest.jsonl'), 'utf8'),
        hashes: await hashFiles(out, entries, 'image'),
      };
    };
    const first = await build('a', 7);
    const again = await build('b', 7);
    const other = await build('c', 8);
    assert.equal(again.manifest, first.manifest);
    assert.deepEqual(again.hashes, first.hashes);
    assert.notEqual(other.manifest, first.manifest);
    assert.equal(other.hashes.filter((hash, index) => hash === first.hashes[index]).length, 0);
    const info = JSON.parse(await readFile(join(folder, 'a', 'dataset.json'), 'utf8')) as {
      seed: number;
      options: { count: number };
      mmgenVersion: string;
    };
    assert.equal(info.seed, 7);
    assert.equal(info.options.count, 60);
    assert.match(info.mmgenVersion, /^\d+\.\d+\.\d+/);
  });
});

test('--spoken adds each caption as 16 kHz speech; --textures noise needs no GIMP', async () => {
  await inScratchFolder(async (folder) => {
    const out = join(folder, 'spoken');
    const summary = await buildDataset({
      builder: 'shapes',
      out,
      seed: 2,
      options: { level: 3, count: 3, spoken: true, textures: 'noise' },
    });
    assert.deepEqual(summary.info.modalities.audio, { sampleRate: 16000, samples: 65536, channels: 1, format: 'wav' });
    const dataset = await readDataset(out);
    for (const entry of dataset.entries) {
      assert.match(entry.audio ?? '', /^audio\/\d{5}\.wav$/);
      const bytes = await readFile(join(out, entry.audio as string));
      assert.equal(bytes.readUInt32LE(24), 16000);
      assert.equal(bytes.readUInt16LE(22), 1);
      assert.equal(bytes.length, 44 + 65536 * 2);
    }
    assert.match(summary.info.provenance.sources.join(' '), /espeak-ng/);
    assert.match(summary.info.provenance.sources.join(' '), /noise/);
  });
});
