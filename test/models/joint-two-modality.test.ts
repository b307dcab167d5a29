// Two-modality joint runs on the datasets without sound: joint-diffusion on Fashion-MNIST (28×28 grey, a
// size no power of two) and joint-vae on emoji (64×64 colour, a caption per emoji). Each trains a few
// steps with falling losses, translates both ways at the dataset's own image shape, and leaks nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { readDataset } from '../../src/data/format.js';
import { jointDiffusionConfig } from '../../src/models/joint-diffusion.js';
import { jointVaeConfig } from '../../src/models/joint-vae.js';
import type { JointModel } from '../../src/models/joint/model.js';
import { disposeOutput } from '../../src/models/joint/outputs.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';
import { loadJointSplit, trainJointVae } from '../../src/train/sessions/joint.js';
import { type Tensor, memory, tidy } from '../../src/tensor/index.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-joint-two-'));
test.after(async () => rm(root, { recursive: true, force: true }));

const model = { latentDim: 8, featureDim: 32, text: { embeddingDim: 16, hiddenSize: 32, dropout: 0 } };
const logging = { logEvery: 10, sampleEvery: 100000, checkpointEvery: 100000 };

/** Both directions on the first training rows: pictures of the dataset's shape, and non-empty captions. */
async function translatesBothWays(
  trained: JointModel,
  datasetDir: string,
  image: { channels: number; size: number },
): Promise<void> {
  const split = await loadJointSplit(await readDataset(datasetDir), trained, { split: 'train', limit: 4 });
  const images = tidy(() => (split.images as Tensor).float().div(127.5).sub(1));
  const toImage = trained.translate(
    { text: { tokens: split.tokens as Tensor, lengths: split.lengths as Tensor } },
    { to: ['image'], seed: 1 },
  );
  const toText = trained.translate({ image: images }, { to: ['text'], seed: 1 });
  try {
    assert.deepEqual(toImage.image?.shape, [4, image.channels, image.size, image.size]);
    assert.equal(toText.text?.length, 4);
    assert.ok(toText.text?.every((caption) => caption.text.length > 0));
  } finally {
    disposeOutput(toImage);
    disposeOutput(toText);
    images.dispose();
    split.dispose();
  }
}

test('joint-diffusion on Fashion-MNIST (image + caption, 28×28 grey): both stages learn and it translates both ways', async () => {
  const before = memory().tensors;
  const dataset = join(root, 'fashion');
  await buildDataset({ builder: 'fashion-mnist', out: dataset, seed: 1, options: { count: 70 } });
  const losses: Record<string, number>[] = [];
  const config = jointDiffusionConfig.parse({
    recipe: 'joint-diffusion',
    dataset,
    seed: 0,
    model: { ...model, image: { encoderChannels: 8, decoderChannels: 16 }, score: { width: 64, blocks: 1 } },
    training: {
      autoencoder: { steps: 120, batchSize: 12, lr: 3e-3 },
      score: { steps: 400, batchSize: 12, lr: 3e-3 },
      trainLimit: 12,
      ...logging,
    },
    sampling: { steps: 5 },
    decoding: { beam: 1 },
  });
  const { model: trained } = await trainJointDiffusion(config, {
    runDir: join(root, 'run-fashion'),
    onEvent: (event) => event.type === 'step' && losses.push(event.losses),
  });
  try {
    const autoencoder = losses.filter((entry) => entry.reconstruction_image !== undefined && entry.score === undefined);
    const score = losses.filter((entry) => entry.score !== undefined);
    for (const key of ['reconstruction_image', 'reconstruction_text']) {
      const first = autoencoder[0]?.[key] ?? 0;
      const last = autoencoder.at(-1)?.[key] ?? Infinity;
      assert.ok(last < first * 0.6, `${key} falls: ${first} → ${last}`);
    }
    const mean = (entries: Record<string, number>[]): number =>
      entries.reduce((sum, entry) => sum + (entry.score ?? 0), 0) / entries.length;
    const [early, late] = [mean(score.slice(0, 3)), mean(score.slice(-3))];
    assert.ok(late < early * 0.9, `the score loss falls: ${early} → ${late}`);
    assert.deepEqual(trained.names, ['image', 'text']);
    await translatesBothWays(trained, dataset, { channels: 1, size: 28 });
  } finally {
    trained.dispose();
  }
  assert.equal(memory().tensors, before);
});

test('joint-vae (MoPoE) on emoji (image + caption, 64×64 colour): the loss falls and it translates both ways', async () => {
  const before = memory().tensors;
  const dataset = join(root, 'emoji');
  await buildDataset({ builder: 'emoji', out: dataset, seed: 1, options: { count: 60 } });
  const reconstruction: number[] = [];
  const config = jointVaeConfig.parse({
    recipe: 'joint-vae',
    dataset,
    seed: 0,
    model: { ...model, mixing: 'mopoe', image: { encoderChannels: 8, decoderChannels: 32 } },
    training: { steps: 60, batchSize: 12, trainLimit: 12, lr: 3e-3, klWarmupSteps: 30, ...logging },
    decoding: { beam: 1 },
  });
  const { model: trained } = await trainJointVae(config, {
    runDir: join(root, 'run-emoji'),
    onEvent: (event) => event.type === 'step' && reconstruction.push(event.losses.reconstruction ?? 0),
  });
  try {
    const first = reconstruction[0] ?? 0;
    const last = reconstruction.at(-1) ?? Infinity;
    assert.ok(last < first * 0.85, `reconstruction falls by 15 %: ${first} → ${last}`);
    assert.deepEqual(trained.names, ['image', 'text']);
    await translatesBothWays(trained, dataset, { channels: 3, size: 64 });
  } finally {
    trained.dispose();
  }
  assert.equal(memory().tensors, before);
});
