// The folder builder over a user's own files, including corrupt ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildDataset } from '../../src/data/builders/index.js';
import { parseCsv } from '../../src/data/builders/captions-file.js';
import { loadSplit, readDataset, type DataEvent } from '../../src/data/index.js';
import { encodeWav } from '../../src/modalities/audio/index.js';
import { tidy } from '../../src/tensor/index.js';
import { assertFolderHolds, inScratchFolder, withoutLeaks } from './helpers.js';

async function makeImage(path: string, colour: string, width: number, height: number): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toFile(path);
}

/** A folder with three images (one of them corrupt) and a CSV of captions. */
async function userFolder(root: string): Promise<string> {
  const input = join(root, 'mine');
  await mkdir(join(input, 'pics'), { recursive: true });
  await makeImage(join(input, 'pics', 'red.png'), '#ff0000', 100, 80);
  await makeImage(join(input, 'pics', 'blue.jpg'), '#0000ff', 40, 40);
  await writeFile(join(input, 'pics', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'));
  await writeFile(
    join(input, 'captions.csv'),
    [
      'file,caption,split',
      'pics/red.png,"a red square, quite large",train',
      'pics/blue.jpg,a blue square,test',
      'pics/broken.png,"a ""broken"" picture",train',
      '',
    ].join('\r\n'),
  );
  return input;
}

test('CSV captions: quoted commas, doubled quotes, CRLF', () => {
  const { rows, lines } = parseCsv('file,caption\r\na.png,"x, ""y"""\n\nb.png,"two\nlines"\n', 'captions.csv');
  assert.deepEqual(rows, [
    ['file', 'caption'],
    ['a.png', 'x, "y"'],
    ['b.png', 'two\nlines'],
  ]);
  assert.deepEqual(lines, [1, 2, 4]);
  assert.throws(() => parseCsv('a,"open\n', 'c.csv'), /never closed/);
});

test('a corrupt image stops the build naming the file and the reason, and nothing is left behind', async () => {
  await inScratchFolder(async (folder) => {
    const input = await userFolder(folder);
    await assert.rejects(
      buildDataset({ builder: 'folder', out: join(folder, 'built'), options: { input } }),
      (error: Error) => {
        assert.match(error.message, /broken\.png/);
        assert.match(error.message, /cannot decode image/);
        assert.match(error.message, /captions\.csv line 4/);
        assert.match(error.message, /--skip-bad/);
        return true;
      },
    );
    await assertFolderHolds(folder, ['mine']);
  });
});

test('--skip-bad skips and lists the corrupt file; images are resized, captions and splits kept', async () => {
  await inScratchFolder(async (folder) => {
    const input = await userFolder(folder);
    const out = join(folder, 'built');
    const events: DataEvent[] = [];
    const summary = await buildDataset({
      builder: 'folder',
      out,
      options: { input, skipBad: true, imageSize: 32 },
      onEvent: (event) => events.push(event),
    });
    const dataset = await readDataset(out);
    assert.deepEqual(
      dataset.entries.map((entry) => [entry.id, entry.text, entry.split]),
      [
        ['pics/red.png', 'a red square, quite large', 'train'],
        ['pics/blue.jpg', 'a blue square', 'test'],
      ],
    );
    assert.match(
      summary.info.provenance.notes ?? '',
      /skipped 1 unreadable file\(s\): .*broken\.png: cannot decode image/,
    );
    assert.ok(events.some((event) => event.type === 'notice' && /skipped pics\/broken\.png/.test(event.message)));
    assert.deepEqual(dataset.info.modalities.image, { width: 32, height: 32, channels: 3, format: 'png' });
    await withoutLeaks(async () => {
      const split = await loadSplit(dataset, { split: 'train', images: 'uint8' });
      assert.deepEqual(split.images?.shape, [1, 3, 32, 32]);
      assert.deepEqual(
        tidy(() => split.images?.select(0, 0).select(1, 5).select(1, 5).toFlatArray()),
        [255, 0, 0],
      );
      split.dispose();
    });
    await assertFolderHolds(folder, ['mine', 'built']);
  });
});

test('audio with JSONL captions: resampled, mono, padded to one length; a truncated WAV is named', async () => {
  await inScratchFolder(async (folder) => {
    const input = join(folder, 'sounds');
    await mkdir(input);
    const tone = Float32Array.from({ length: 4410 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 44100));
    await writeFile(join(input, 'a.wav'), encodeWav(tone, 44100));
    await writeFile(join(input, 'b.wav'), encodeWav(tone.subarray(0, 2205), 22050));
    await writeFile(
      join(input, 'captions.jsonl'),
      '{"file":"a.wav","caption":"a tone"}\n{"file":"b.wav","caption":"a short tone","split":"val"}\n',
    );
    const out = join(folder, 'built');
    await buildDataset({ builder: 'folder', out, seed: 1, options: { input, sampleRate: 8000, audioSamples: 1000 } });
    await withoutLeaks(async () => {
      const dataset = await readDataset(out);
      assert.deepEqual(dataset.info.modalities.audio, { sampleRate: 8000, samples: 1000, channels: 1, format: 'wav' });
      const val = await loadSplit(dataset, { split: 'val' });
      assert.deepEqual(val.audio?.shape, [1, 1000]);
      // 2205 samples at 22.05 kHz = 0.1 s = 800 samples at 8 kHz, then zero padding
      const samples = val.audio?.toFlatArray() ?? [];
      assert.ok(Math.max(...samples.slice(0, 790).map(Math.abs)) > 0.45);
      assert.equal(Math.max(...samples.slice(810).map(Math.abs)), 0);
      val.dispose();
    });
    const bytes = encodeWav(tone, 44100);
    await writeFile(join(input, 'a.wav'), bytes.subarray(0, 30));
    await assert.rejects(buildDataset({ builder: 'folder', out: join(folder, 'again'), options: { input } }), /a\.wav/);
    await assertFolderHolds(folder, ['sounds', 'built']);
  });
});

test('bad captions files are explained', async () => {
  await inScratchFolder(async (folder) => {
    const input = join(folder, 'in');
    await mkdir(input);
    await assert.rejects(
      buildDataset({ builder: 'folder', out: join(folder, 'o'), options: { input } }),
      /has no captions\.csv or captions\.jsonl/,
    );
    await writeFile(join(input, 'captions.csv'), 'name,text\nx.png,hello\n');
    await assert.rejects(
      buildDataset({ builder: 'folder', out: join(folder, 'o'), options: { input } }),
      /needs a header row with the columns file,caption/,
    );
    await writeFile(join(input, 'captions.csv'), 'file,caption,split\nx.png,hello,training\n');
    await assert.rejects(
      buildDataset({ builder: 'folder', out: join(folder, 'o'), options: { input } }),
      /line 2: split "training" is not one of train, val, test/,
    );
    await writeFile(join(input, 'captions.csv'), 'file,caption\n../x.png,hello\n');
    await assert.rejects(buildDataset({ builder: 'folder', out: join(folder, 'o'), options: { input } }), /is outside/);
    await writeFile(join(input, 'captions.csv'), 'file,caption\nmissing.png,hello\n');
    await assert.rejects(
      buildDataset({ builder: 'folder', out: join(folder, 'o'), options: { input } }),
      /missing\.png: no such file/,
    );
    await assertFolderHolds(folder, ['in']);
  });
});
