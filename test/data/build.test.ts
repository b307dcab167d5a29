// The build machinery: builder and option errors, atomic folders (errors, cancel, Ctrl-C), the
// manifest format, and `data show`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { buildDataset, builderNames, parseBuilderArguments, showDataset } from '../../src/data/builders/index.js';
import {
  buildAtomically,
  parseManifest,
  readDataset,
  serializeManifest,
  stagingPrefix,
  type ManifestEntry,
} from '../../src/data/index.js';
import { assertFolderHolds, inScratchFolder } from './helpers.js';

test('an unknown builder lists the valid ones; an unknown or invalid option lists the valid options', async () => {
  await inScratchFolder(async (folder) => {
    const out = join(folder, 'x');
    await assert.rejects(
      buildDataset({ builder: 'mnist', out }),
      /unknown dataset builder "mnist"; valid builders: shapes, fashion-mnist, emoji, spoken-digits, digits, folder/,
    );
    await assert.rejects(
      buildDataset({ builder: 'shapes', out, options: { colour: 'red' } }),
      /unknown option --colour for builder "shapes"; valid options: --level, --count, --val, --test, --textures, --spoken/,
    );
    await assert.rejects(
      buildDataset({ builder: 'shapes', out, options: { level: '7' } }),
      /invalid --level for builder "shapes": .*<=5/,
    );
    await assert.rejects(
      buildDataset({ builder: 'shapes', out, options: { textures: 'wood' } }),
      /invalid --textures .*"gimp"\|"noise"/,
    );
    await assert.rejects(buildDataset({ builder: 'folder', out, options: {} }), /invalid --input for builder "folder"/);
    await assert.rejects(buildDataset({ builder: 'shapes', out, seed: -1 }), /--seed must be a non-negative integer/);
    await assertFolderHolds(folder, []);
  });
  assert.deepEqual(builderNames(), ['shapes', 'fashion-mnist', 'emoji', 'spoken-digits', 'digits', 'folder']);
});

test('command-line builder options: values, switches, --no-switches, kebab-case', () => {
  assert.deepEqual(parseBuilderArguments('shapes', ['--count', '100', '--spoken', '--level=3']), {
    count: '100',
    spoken: true,
    level: '3',
  });
  assert.deepEqual(parseBuilderArguments('shapes', ['--spoken', '--no-spoken']), { spoken: false });
  assert.deepEqual(parseBuilderArguments('folder', ['--skip-bad', '--image-size', '32', '--input', 'x']), {
    skipBad: true,
    imageSize: '32',
    input: 'x',
  });
  assert.throws(() => parseBuilderArguments('shapes', ['--count']), /--count needs a value/);
  assert.throws(() => parseBuilderArguments('shapes', ['--count', '--spoken']), /--count needs a value/);
  assert.throws(
    () => parseBuilderArguments('shapes', ['--size', 'big']),
    /unknown option --size for builder "shapes"; valid options: --level/,
  );
  assert.throws(() => parseBuilderArguments('shapes', ['big']), /unexpected argument "big"/);
  assert.throws(() => parseBuilderArguments('emoji', ['--vendor', 'x']), /valid options: --count, --val, --test/);
});

test('builds are atomic: a failing build, a cancelled build and an existing target leave no partial folder', async () => {
  await inScratchFolder(async (folder) => {
    const target = join(folder, 'set');
    await assert.rejects(
      buildAtomically(target, async (dir) => {
        await writeFile(join(dir, 'half.txt'), 'half');
        assert.ok(dir.startsWith(join(folder, stagingPrefix(target))));
        throw new Error('disk on fire');
      }),
      /disk on fire/,
    );
    await assertFolderHolds(folder, []);

    const controller = new AbortController();
    await assert.rejects(
      buildDataset({
        builder: 'shapes',
        out: target,
        options: { count: 3000 },
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'progress' && event.done > 0) controller.abort(new Error('stop now'));
        },
      }),
      /stop now/,
    );
    await assertFolderHolds(folder, []);

    await buildDataset({ builder: 'shapes', out: target, seed: 1, options: { level: 1, count: 3 } });
    await assert.rejects(
      buildDataset({ builder: 'shapes', out: target, options: { level: 1, count: 3 } }),
      /already exists; choose another --out or pass --overwrite/,
    );
    await buildDataset({ builder: 'shapes', out: target, seed: 1, options: { level: 2, count: 6 }, overwrite: true });
    assert.equal((await readDataset(target)).entries.length, 6);
    await assertFolderHolds(folder, ['set']);
  });
});

test('Ctrl-C during `mmgen data build` exits 130 and removes the partial dataset', async () => {
  await inScratchFolder(async (folder) => {
    const cli = fileURLToPath(new URL('../../bin/mmgen.js', import.meta.url));
    const child = spawn(
      process.execPath,
      [cli, 'data', 'build', 'shapes', '--count', '30000', '--out', join(folder, 'big')],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // wait until the build has started writing images into its staging folder (a loaded machine can take a
    // minute to start it; before its handler is installed, SIGINT would kill it outright)
    for (let i = 0; i < 1200; i++) {
      const staging = (await readdir(folder)).find((name) => name.startsWith(stagingPrefix(join(folder, 'big'))));
      if (staging && existsSync(join(folder, staging, 'images'))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.match(stderr, /interrupted \(Ctrl-C\); the partial dataset was removed/);
    await assertFolderHolds(folder, []);
  });
});

test('manifest lines round-trip; a broken line or dataset.json is named', async () => {
  const entries: ManifestEntry[] = [
    { id: 'a', split: 'train', text: 'red', image: 'images/0.png', attributes: { colour: 'red' } },
    { id: 'b', split: 'test', text: 'hi', audio: 'audio/1.wav', references: ['hello'] },
  ];
  assert.deepEqual(parseManifest(serializeManifest(entries), 'm'), entries);
  assert.throws(
    () =>
      parseManifest('{"id":"a","split":"train","text":"x"}\n{"id":"b","split":"dev","text":"y"}\n', 'manifest.jsonl'),
    /manifest\.jsonl line 2 is not a manifest entry: split/,
  );
  assert.throws(() => parseManifest('{oops\n', 'manifest.jsonl'), /manifest\.jsonl line 1 is not valid JSON/);
  await inScratchFolder(async (folder) => {
    await mkdir(join(folder, 'd'));
    await writeFile(join(folder, 'd', 'dataset.json'), '{"format": 1}');
    await assert.rejects(readDataset(join(folder, 'd')), /dataset\.json is not a valid dataset description: name/);
  });
});

test('show: a contact sheet with captions and counts per split and attribute', async () => {
  await inScratchFolder(async (folder) => {
    const out = join(folder, 'shapes');
    await buildDataset({ builder: 'shapes', out, seed: 0, options: { level: 3, count: 60 } });
    const result = await showDataset(out, { out: join(folder, 'sheet.png'), samples: 16 });
    assert.equal(result.shown, 16);
    assert.deepEqual(result.counts.splits, { train: 48, val: 6, test: 6, total: 60 });
    assert.deepEqual(Object.keys(result.counts.attributes), ['shape', 'size', 'colour']);
    const entries = (await readDataset(out)).entries;
    for (const split of ['train', 'val', 'test'] as const) {
      assert.equal(
        result.counts.attributes.colour?.red?.[split],
        entries.filter((entry) => entry.attributes?.colour === 'red' && entry.split === split).length,
      );
    }
    assert.equal(result.counts.attributes.colour?.red?.total, 12);
    const sheet = await sharp(join(folder, 'sheet.png')).metadata();
    assert.equal(sheet.format, 'png');
    assert.ok((sheet.width ?? 0) >= 4 * 96 && (sheet.height ?? 0) >= 2 * 96, `${sheet.width}x${sheet.height}`);
    const text = await readFile(join(out, 'manifest.jsonl'), 'utf8');
    assert.equal(text.trim().split('\n').length, 60);
  });
});
