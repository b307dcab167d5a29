// Behaviour is pinned by seed: every recipe, trained twice in one process from the same tiny config,
// writes the same weights byte for byte, and its run answers each capability with the same bytes; a
// run trained from another seed does not.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Run, loadRun, memory } from '../../src/index.js';
import { readDataset } from '../../src/data/format.js';
import { type TinyData, tinyConfigs, tinyData, trainTiny } from './tiny-runs.js';

let root = '';
let data: TinyData;
let tensorsBefore = 0;

before(async () => {
  tensorsBefore = memory().tensors;
  root = await mkdtemp(join(tmpdir(), 'mmgen-same-bytes-'));
  data = await tinyData(root);
});

after(async () => {
  await data.cleanup();
  await rm(root, { recursive: true, force: true });
  assert.equal(memory().tensors, tensorsBefore, 'training or loading leaked tensors');
});

/** Every byte a run gives for fixed inputs and seeds, through each capability it has. */
async function answers(run: Run): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const shapes = (await readDataset(data.shapes)).entries.find((entry) => entry.image);
  const tones = (await readDataset(data.tones)).entries.find((entry) => entry.audio);
  const prompts = run.modalities.outputs.includes('audio') ? ['high', 'low'] : ['square', 'heart'];
  if (run.can('generate'))
    for (const output of await run.generate(prompts, { n: 2, seed: 7 })) out.push(await output.bytes());
  if (run.can('caption'))
    out.push(Buffer.from(JSON.stringify(await run.caption(join(data.shapes, shapes?.image ?? ''), { beam: 2 }))));
  if (run.can('transcribe'))
    out.push(Buffer.from(JSON.stringify(await run.transcribe(join(data.tones, tones?.audio ?? '')))));
  if (run.can('translate')) {
    const translated = await run.translate({ text: 'square' }, { to: ['image'], n: 2, seed: 7 });
    for (const image of translated.images) out.push(await image.bytes());
  }
  if (run.can('sample')) {
    const sampled = await run.sample(2, 7);
    for (const image of sampled.images) out.push(await image.bytes());
    out.push(Buffer.from(JSON.stringify(sampled.texts)));
  }
  return out;
}

test('every recipe trained twice from one seed gives the same weights and the same output bytes', async () => {
  const configs = tinyConfigs(data.shapes, data.tones);
  for (const [name, config] of Object.entries(configs)) {
    const runs = [join(root, `${name}-a`), join(root, `${name}-b`)];
    for (const dir of runs) await trainTiny(config, dir);
    const [a, b] = runs as [string, string];
    assert.deepEqual(
      await readFile(join(a, 'model.safetensors')),
      await readFile(join(b, 'model.safetensors')),
      `${name}: weights differ between two trainings with one seed`,
    );
    const first = await loadRun(a);
    const second = await loadRun(b);
    try {
      const [one, two] = [await answers(first), await answers(second)];
      assert.ok(one.length > 0, `${name} answered nothing`);
      assert.deepEqual(one, two, `${name}: outputs differ between two trainings with one seed`);
    } finally {
      first.dispose();
      second.dispose();
    }
  }
});

test('another seed trains other weights (the comparison above can fail)', async () => {
  const config = tinyConfigs(data.shapes, data.tones)['text2image-gan'] as Record<string, unknown>;
  await trainTiny(config, join(root, 'seed-1'));
  await trainTiny({ ...config, seed: 2 }, join(root, 'seed-2'));
  assert.notDeepEqual(
    await readFile(join(root, 'seed-1', 'model.safetensors')),
    await readFile(join(root, 'seed-2', 'model.safetensors')),
  );
});
