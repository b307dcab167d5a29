// text2image-vae: a tiny conditional VAE's reconstruction loss falls on a tiny shapes set, KL is
// annealed, generation is deterministic, and nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { TEXT_TO_IMAGE_RECIPES, loadTextToImageRun } from '../../src/models/text-to-image-recipes.js';
import { trainTextToImage } from '../../src/train/sessions/text-to-image.js';
import { memory } from '../../src/tensor/index.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-vae-'));
const dataset = join(root, 'shapes');
await buildDataset({ builder: 'shapes', out: dataset, seed: 4, options: { level: 2, count: 96 } });
const recipe = TEXT_TO_IMAGE_RECIPES.find((entry) => entry.name === 'text2image-vae')!;

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a tiny text2image-vae learns: reconstruction falls, beta ramps up, generation is seeded', async () => {
  const before = memory().tensors;
  const config = recipe.schema.parse({
    recipe: 'text2image-vae',
    dataset,
    seed: 2,
    model: {
      latentDim: 8,
      textEmbedding: 8,
      textHidden: 16,
      conditionDim: 16,
      decoderChannels: 32,
      encoderChannels: 8,
    },
    training: {
      steps: 30,
      batchSize: 8,
      lr: 2e-3,
      klWarmupSteps: 20,
      sampleEvery: 1000,
      checkpointEvery: 1000,
      logEvery: 1,
    },
  });
  const losses: Record<string, number>[] = [];
  const { model } = await trainTextToImage(recipe, config, {
    runDir: join(root, 'run'),
    onEvent: (event) => event.type === 'step' && losses.push(event.losses),
  });
  model.dispose();
  const mean = (items: Record<string, number>[]): number =>
    items.reduce((sum, item) => sum + (item.reconstruction ?? 0), 0) / items.length;
  const early = mean(losses.slice(0, 5));
  const late = mean(losses.slice(-5));
  assert.ok(
    late < early * 0.6,
    `reconstruction should fall by 40 %: first five ${early.toFixed(1)}, last five ${late.toFixed(1)}`,
  );
  assert.equal(losses[0]?.beta, 1 / 20);
  assert.equal(losses[29]?.beta, 1);
  const { model: loaded } = await loadTextToImageRun(join(root, 'run'));
  const a = loaded.generate(['big square', 'small heart'], 5);
  const b = loaded.generate(['big square', 'small heart'], 5);
  assert.deepEqual(a.shape, [2, 3, 64, 64]);
  assert.deepEqual(a.toFlatArray(), b.toFlatArray());
  a.dispose();
  b.dispose();
  loaded.dispose();
  assert.equal(memory().tensors, before);
});
