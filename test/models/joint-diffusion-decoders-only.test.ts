// training.autoencoder.decodersOnly: tuning a reused run's picture decoder while its encoder, its heads and
// its latent statistics keep their weights exactly (so a score network trained on its latents still fits), the
// decoder's reconstruction improving; the settings it cannot go with are refused; nothing leaks. Also the picture
// encoder's depth (refining convs per resolution) and its colour part (the picture less its grey) beside the
// pixels or beside their coarse grey (where a texture's grain is gone), each refused where it cannot apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jointDiffusionConfig } from '../../src/models/joint-diffusion.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';
import { ConvEncoder } from '../../src/modalities/image/conv-encoder.js';
import { dispose, memory, noGrad, randn, tensor, tidy } from '../../src/tensor/index.js';
import { loadSafetensors } from '../../src/tensor/safetensors.js';
import { tinySpokenShapes } from './spoken-shapes.js';
import { tinyJointDiffusion } from './tiny-joint-diffusion.js';

const { root, dataset } = await tinySpokenShapes('mmgen-joint-diffusion-decoders-only-');

const config = (autoencoder: Record<string, unknown>, overrides: { scoreSteps?: number; seed?: number } = {}) =>
  tinyJointDiffusion(dataset, {
    seed: overrides.seed ?? 0,
    image: { encoderChannels: 8, decoderChannels: 32, encoderDepth: 2 },
    audio: { encoderChannels: 8, decoderChannels: 32, spectrogram: { size: 16 } },
    autoencoder: { steps: 6, batchSize: 6, lr: 3e-3, captionWords: 1, colourMoments: 1, ...autoencoder },
    score: { steps: overrides.scoreSteps ?? 4, batchSize: 6 },
    trainLimit: 6,
    logEvery: 1,
  });

async function weights(runDir: string): Promise<Map<string, Float32Array>> {
  const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors'));
  const out = new Map([...tensors].map(([key, value]) => [key, Float32Array.from(value.toFlatArray())]));
  dispose([...tensors.values()]);
  return out;
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

for (const seed of [0, 1, 2]) {
  test(`decodersOnly (seed ${seed}): the picture decoder learns, its encoder, heads and statistics keep their weights`, async () => {
    const before = memory().tensors;
    const base = join(root, `base-${seed}`);
    (await trainJointDiffusion(config({}, { seed }), { runDir: base })).model.dispose();
    const tuned = join(root, `tuned-${seed}`);
    const tuning = config({ from: base, tune: ['image'], decodersOnly: true, steps: 40 }, { seed, scoreSteps: 0 });
    (await trainJointDiffusion(tuning, { runDir: tuned })).model.dispose();
    const [baseWeights, tunedWeights] = [await weights(base), await weights(tuned)];
    const held = [...baseWeights.keys()].filter(
      (key) =>
        key.startsWith('autoencoders.image.encoder.') ||
        /^autoencoders\.image(Head|Words|Moments)\./.test(key) ||
        key.startsWith('autoencoders.text.') ||
        key.startsWith('autoencoders.latent') ||
        key === 'autoencoders.statisticsReady',
    );
    assert.ok(
      held.some((key) => key.includes('refine0_1')),
      'the encoder has its refining convs',
    );
    assert.ok(
      held.some((key) => key.startsWith('autoencoders.imageMoments.')),
      'the moments head is kept',
    );
    for (const key of held) assert.deepEqual(tunedWeights.get(key), baseWeights.get(key), `${key} changed`);
    const decoderKey = 'autoencoders.image.decoder.output.weight';
    const moved = Math.max(
      ...(tunedWeights.get(decoderKey) ?? []).map((value, index) =>
        Math.abs(value - (baseWeights.get(decoderKey)?.[index] ?? NaN)),
      ),
    );
    assert.ok(moved > 1e-4, `the decoder moved by ${moved}`);
    const metrics = (await readFile(join(tuned, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, number>)
      .filter((entry) => entry.reconstruction_image !== undefined);
    assert.equal(metrics.length, 40);
    assert.ok(metrics.every((entry) => entry.words_image === undefined && entry.moments_image === undefined));
    const losses = metrics.map((entry) => entry.reconstruction_image ?? NaN);
    const [early, late] = [mean(losses.slice(0, 5)), mean(losses.slice(-5))];
    assert.ok(late < early * 0.8, `the picture's reconstruction loss went from ${early} to ${late}`);
    assert.equal(memory().tensors, before);
  });
}

test('decodersOnly without tune, or beside retrain, is refused with the fix', () => {
  assert.throws(() => config({ decodersOnly: true }), /name the modalities to tune in training.autoencoder.tune/);
  assert.throws(
    () => config({ from: root, tune: ['image'], retrain: ['audio'], decodersOnly: true }),
    /decodersOnly keeps every encoder, and retrain trains audio afresh; drop one of them/,
  );
});

test("the picture encoder's depth refines each resolution; it reads the colour part beside the pixels or their coarse grey; a sound refuses them", () => {
  const before = memory().tensors;
  const shallow = new ConvEncoder({ imageSize: 32, channels: 3, outputDim: 16, normalization: 'group' });
  const deep = new ConvEncoder({ imageSize: 32, channels: 3, outputDim: 16, normalization: 'group', depth: 3 });
  // three resolutions (32 → 16 → 8 → 4), two refining convs with their norms at each
  assert.equal(deep.parameters().length - shallow.parameters().length, 3 * 2 * 4);
  noGrad(() => tidy(() => assert.deepEqual(deep.forward(randn([2, 3, 32, 32])).shape, [2, 16])));
  shallow.dispose();
  deep.dispose();
  const coloured = new ConvEncoder({ imageSize: 32, channels: 3, outputDim: 16, colourPart: true });
  const firstWeight = coloured.stateDict().get('conv0.weight');
  assert.deepEqual(firstWeight?.shape, [32, 6, 4, 4]);
  // a grey picture's colour part is zero: what the second copy's weights see changes nothing
  noGrad(() =>
    tidy(() => {
      const grey = randn([2, 1, 32, 32]).expand(2, 3, 32, 32).contiguous();
      const before = coloured.forward(grey).toFlatArray();
      firstWeight?.narrow(1, 3, 3).fill_(5);
      const after = coloured.forward(grey).toFlatArray();
      assert.ok(before.every((value, index) => Math.abs(value - (after[index] ?? NaN)) < 1e-5));
    }),
  );
  coloured.dispose();
  // beside the coarse grey, a texture that keeps each 8×8 cell's mean changes nothing the encoder reads
  const coarse = new ConvEncoder({ imageSize: 32, channels: 3, outputDim: 16, colourPart: true, coarseGrey: 8 });
  assert.deepEqual(coarse.stateDict().get('conv0.weight')?.shape, [32, 4, 4, 4]);
  noGrad(() =>
    tidy(() => {
      const picture = randn([1, 3, 32, 32]);
      const checks = Float32Array.from({ length: 32 * 32 }, (_, at) =>
        ((at % 32) + Math.floor(at / 32)) % 2 ? 0.3 : -0.3,
      );
      const textured = picture.add(tensor(checks).reshape(1, 1, 32, 32));
      const [plain, rough] = [coarse.forward(picture).toFlatArray(), coarse.forward(textured).toFlatArray()];
      assert.ok(plain.every((value, index) => Math.abs(value - (rough[index] ?? NaN)) < 1e-4));
      const full = new ConvEncoder({ imageSize: 32, channels: 3, outputDim: 16, colourPart: true });
      const [fullPlain, fullRough] = [full.forward(picture).toFlatArray(), full.forward(textured).toFlatArray()];
      assert.ok(fullPlain.some((value, index) => Math.abs(value - (fullRough[index] ?? NaN)) > 1e-3));
      full.dispose();
    }),
  );
  coarse.dispose();
  assert.throws(
    () => new ConvEncoder({ imageSize: 32, channels: 1, outputDim: 16, colourPart: true }),
    /colourPart needs colour pictures, and these have 1 channel/,
  );
  assert.throws(
    () => new ConvEncoder({ imageSize: 32, channels: 3, outputDim: 16, depth: 5 }),
    /depth 5 must be a whole number from 1 to 4/,
  );
  assert.throws(
    () =>
      jointDiffusionConfig.parse({
        recipe: 'joint-diffusion',
        dataset,
        model: { audio: { network: 'sequence', encoderDepth: 2, spectrogram: { size: 16, frames: 256 } } },
      }),
    /set audio.encoderDepth only with audio.network: picture/,
  );
  assert.throws(
    () => jointDiffusionConfig.parse({ recipe: 'joint-diffusion', dataset, model: { audio: { encoderColour: true } } }),
    /a spectrogram has one channel and so no colour part: leave audio.encoderColour false/,
  );
  assert.throws(
    () =>
      jointDiffusionConfig.parse({ recipe: 'joint-diffusion', dataset, model: { image: { encoderGrey: 'coarse' } } }),
    /encoderGrey: coarse is the grey beside the colour part: set model.image.encoderColour: true/,
  );
  assert.equal(memory().tensors, before);
});
