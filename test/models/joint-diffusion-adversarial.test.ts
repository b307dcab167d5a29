// joint-diffusion's adversarial term for the picture autoencoder (training.autoencoder.adversarial): the patch
// critic's shape, the adaptive balance at the pixels, a critic that learns to tell real pictures from decoded
// ones, exact resume with the critic in the checkpoint, and no leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { PatchDiscriminator } from '../../src/modalities/image/patch-discriminator.js';
import { type JointDiffusionConfig, jointDiffusionConfig } from '../../src/models/joint-diffusion.js';
import { tinyJointDiffusion } from './tiny-joint-diffusion.js';
import { PictureAdversary } from '../../src/models/joint/adversarial.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';
import { Generator, memory, ones, randn, tidy } from '../../src/tensor/index.js';
import { loadSafetensors } from '../../src/tensor/safetensors.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-joint-adversarial-'));
const dataset = join(root, 'shapes');
await buildDataset({ builder: 'shapes', out: dataset, seed: 2, options: { level: 2, count: 40, val: 0.1, test: 0.1 } });

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

function adversarialRun(seed: number, steps: number): JointDiffusionConfig {
  return tinyJointDiffusion(dataset, {
    seed,
    autoencoder: { steps, batchSize: 8, lr: 3e-3, adversarial: { weight: 0.5, start: 3, channels: 16, lr: 2e-3 } },
    score: { steps: 2, batchSize: 8 },
    trainLimit: 16,
    logEvery: 1,
  });
}

test('the patch critic gives one logit per patch, and the adversarial gradient is weight × the reconstruction gradient in norm', () => {
  const before = memory().tensors;
  const generator = new Generator(4);
  const critic = new PatchDiscriminator({ channels: 3, baseChannels: 8, halvings: 2 });
  const adversary = new PictureAdversary({ weight: 0.3, start: 0, channels: 8, halvings: 2, lr: 2e-4, sees: 'all' }, 3);
  tidy(() => {
    assert.deepEqual(critic.forward(randn([2, 3, 64, 64], { generator })).shape, [2, 1, 14, 14]);
    assert.deepEqual(critic.forward(randn([2, 3, 32, 32], { generator })).shape, [2, 1, 6, 6]);
    const decoded = randn([4, 3, 32, 32], { generator });
    const reconstruction = randn([4, 3, 32, 32], { generator }).mul(0.01);
    const term = adversary.generatorGradient(decoded, reconstruction, ones([4]));
    const added = term.gradient.sub(reconstruction).norm().item();
    const expected = 0.3 * reconstruction.norm().item();
    assert.ok(
      Math.abs(added - expected) < 1e-4 * expected,
      `the adversarial part's norm ${added}, expected ${expected}`,
    );
    assert.ok(term.balance > 0 && Number.isFinite(term.adversarial));
  });
  critic.dispose();
  adversary.dispose();
  generator.dispose();
  assert.equal(memory().tensors, before);
});

test('a critic that sees colour only sends no grey gradient: it cannot ask for a texture, only for colour', () => {
  const before = memory().tensors;
  const generator = new Generator(5);
  const settings = { weight: 1, start: 0, channels: 8, halvings: 2, lr: 2e-4 };
  const colour = new PictureAdversary({ ...settings, sees: 'colour' }, 3);
  const all = new PictureAdversary({ ...settings, sees: 'all' }, 3);
  tidy(() => {
    const decoded = randn([2, 3, 32, 32], { generator });
    const reconstruction = randn([2, 3, 32, 32], { generator }).mul(0.01);
    // the adversarial part of each gradient, averaged over the channels: its grey part
    const grey = (adversary: PictureAdversary): number =>
      adversary
        .generatorGradient(decoded, reconstruction, ones([2]))
        .gradient.sub(reconstruction)
        .mean(1)
        .abs()
        .max()
        .item();
    assert.ok(grey(colour) < 1e-6, `grey part of the colour critic's gradient: ${grey(colour)}`);
    assert.ok(grey(all) > 1e-4, `a critic that sees everything has one: ${grey(all)}`);
  });
  assert.throws(() => new PictureAdversary({ ...settings, sees: 'colour' }, 1), /sees: colour.*1 channel/);
  colour.dispose();
  all.dispose();
  generator.dispose();
  assert.equal(memory().tensors, before);
});

test('the critic trains after its start and learns to tell real pictures from decoded ones, at three seeds', async () => {
  const before = memory().tensors;
  for (const seed of [0, 1, 2]) {
    const logged: Record<string, number>[] = [];
    const { model } = await trainJointDiffusion(adversarialRun(seed, 40), {
      runDir: join(root, `critic-${seed}`),
      onEvent: (event) => event.type === 'step' && event.step <= 40 && logged.push(event.losses),
    });
    model.dispose();
    assert.deepEqual(
      logged.slice(0, 5).map((losses) => 'critic' in losses),
      [false, false, false, true, true],
    );
    const critic = logged.slice(3).map((losses) => losses.critic as number);
    const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
    // the hinge loss of a critic that cannot tell them apart is 2
    assert.ok(mean(critic.slice(-10)) < 1.4, `seed ${seed}: the critic's last losses ${critic.slice(-10).join(', ')}`);
    assert.ok(logged.every((losses) => Number.isFinite(losses.reconstruction_image)));
  }
  assert.equal(memory().tensors, before);
});

test('a stop after the critic starts resumes to the same bytes, the critic in the checkpoint', async () => {
  const config = adversarialRun(0, 8);
  const straight = join(root, 'straight');
  const resumed = join(root, 'resumed');
  (await trainJointDiffusion(config, { runDir: straight })).model.dispose();
  (await trainJointDiffusion(config, { runDir: resumed, stopAfter: 5 })).model.dispose();
  (await trainJointDiffusion(config, { runDir: resumed, resume: true })).model.dispose();
  const weights = await readFile(join(straight, 'model.safetensors'));
  assert.deepEqual(await readFile(join(resumed, 'model.safetensors')), weights);
  const { tensors } = await loadSafetensors(join(straight, 'model.safetensors'));
  const criticKeys = [...tensors.keys()].filter((key) => key.startsWith('critic.'));
  for (const value of tensors.values()) value.dispose();
  assert.ok(criticKeys.length > 0, 'the critic is saved with the run');
  // without an image autoencoder to train here, there is no critic
  const reused = jointDiffusionConfig.parse({
    ...config,
    training: { ...config.training, autoencoder: { ...config.training.autoencoder, from: straight } },
  });
  const { model } = await trainJointDiffusion(reused, { runDir: join(root, 'reused'), stopAfter: 1 });
  assert.equal(model.adversary, undefined);
  model.dispose();
});
