// joint-diffusion's sound on the sequence network (1-D convolutions along a spectrogram's frames, its mel
// bands as channels), and reusing another run's autoencoders while one modality trains afresh or tunes on: the
// first stage then trains only that modality, the others keep their weights exactly, and its loss falls; a kept
// autoencoder that does not fit the config, or `retrain` without `from`, is a clear error; a run over another run's
// autoencoders keeps that run's word numbering, whatever its own data; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { type JointDiffusionConfig, jointDiffusionConfig } from '../../src/models/joint-diffusion.js';
import { loadJointRun } from '../../src/models/joint-run.js';
import { writeJointOutput } from '../../src/models/joint/files.js';
import { disposeOutput } from '../../src/models/joint/outputs.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';
import { loadJointSplit } from '../../src/train/sessions/joint.js';
import { codecRoundTrip } from '../../src/cli/commands/eval-joint.js';
import { readDataset } from '../../src/data/format.js';
import type { DataEvent } from '../../src/data/events.js';
import { Tokenizer } from '../../src/modalities/text/index.js';
import { dispose, memory } from '../../src/tensor/index.js';
import { buildDataset } from '../../src/data/builders/index.js';
import { loadSafetensors } from '../../src/tensor/safetensors.js';
import { tinySpokenShapes } from './spoken-shapes.js';

const { root, dataset } = await tinySpokenShapes('mmgen-joint-diffusion-audio-');

const sequenceAudio = {
  network: 'sequence',
  encoderChannels: 8,
  decoderChannels: 16,
  spectrogram: { nFft: 512, hopLength: 256, size: 16, frames: 256 },
};

function config(
  overrides: {
    audio?: Record<string, unknown>;
    from?: string | Record<string, string>;
    retrain?: string[];
    tune?: string[];
    steps?: number;
    modalitySteps?: Record<string, number>;
    scoreSteps?: number;
  } = {},
): JointDiffusionConfig {
  return jointDiffusionConfig.parse({
    recipe: 'joint-diffusion',
    dataset,
    seed: 0,
    model: {
      latentDim: 8,
      featureDim: 32,
      image: { encoderChannels: 8, decoderChannels: 32 },
      audio: overrides.audio ?? { encoderChannels: 8, decoderChannels: 32, spectrogram: { size: 16 } },
      text: { embeddingDim: 16, hiddenSize: 32, dropout: 0 },
      score: { width: 64, blocks: 1 },
    },
    training: {
      autoencoder: {
        steps: overrides.steps ?? 6,
        batchSize: 6,
        lr: 3e-3,
        ...(overrides.from ? { from: overrides.from } : {}),
        ...(overrides.retrain ? { retrain: overrides.retrain } : {}),
        ...(overrides.tune ? { tune: overrides.tune } : {}),
        ...(overrides.modalitySteps ? { modalitySteps: overrides.modalitySteps } : {}),
      },
      score: { steps: overrides.scoreSteps ?? 4, batchSize: 6 },
      trainLimit: 6,
      logEvery: 1,
      sampleEvery: 100000,
      checkpointEvery: 100000,
    },
    sampling: { steps: 4 },
    decoding: { beam: 1 },
  });
}

async function weights(runDir: string): Promise<Map<string, Float32Array>> {
  const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors'));
  const out = new Map([...tensors].map(([key, value]) => [key, Float32Array.from(value.toFlatArray())]));
  dispose([...tensors.values()]);
  return out;
}

test('sound on the sequence network trains beside reused image and text autoencoders, which keep their weights', async () => {
  const before = memory().tensors;
  const base = join(root, 'base');
  (await trainJointDiffusion(config(), { runDir: base })).model.dispose();
  const reused = join(root, 'reused');
  const trained = await trainJointDiffusion(
    config({ audio: sequenceAudio, from: base, retrain: ['audio'], steps: 60 }),
    { runDir: reused },
  );
  trained.model.dispose();
  const [baseWeights, reusedWeights] = [await weights(base), await weights(reused)];
  for (const prefix of ['autoencoders.image.', 'autoencoders.imageHead.', 'autoencoders.text.']) {
    const keys = [...baseWeights.keys()].filter((key) => key.startsWith(prefix));
    assert.ok(keys.length > 0, prefix);
    for (const key of keys) assert.deepEqual(reusedWeights.get(key), baseWeights.get(key), `${key} changed`);
  }
  assert.ok([...reusedWeights.keys()].some((key) => key.startsWith('autoencoders.audio.decoder.block')));
  const metrics = (await readFile(join(reused, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number>);
  const firstStage = metrics.filter((entry) => entry.reconstruction_audio !== undefined);
  assert.equal(firstStage.length, 60);
  assert.ok(
    firstStage.every((entry) => entry.reconstruction_image === undefined && entry.reconstruction_text === undefined),
  );
  const mean = (entries: Record<string, number>[]): number =>
    entries.reduce((sum, entry) => sum + (entry.reconstruction_audio ?? 0), 0) / entries.length;
  const [early, late] = [mean(firstStage.slice(0, 5)), mean(firstStage.slice(-5))];
  assert.ok(late < early * 0.3, `the audio reconstruction loss went from ${early} to ${late}`);

  const model = await loadJointRun(reused);
  try {
    // the eval's codec ceiling: the split's real log-mels through Griffin-Lim, clips of the dataset's length
    const split = await loadJointSplit(await readDataset(dataset), model, { split: 'test', limit: 2 });
    try {
      const clips = codecRoundTrip(model, split, [0, 1]);
      assert.deepEqual(
        clips.map((clip) => clip.length),
        [65536, 65536],
      );
      const loudest = Math.max(
        ...clips.map((clip) => clip.reduce((peak, value) => Math.max(peak, Math.abs(value)), 0)),
      );
      assert.ok(loudest > 0.05, `the decoded speech peaks at ${loudest}`);
    } finally {
      split.dispose();
    }
    const output = model.sample(2, 1);
    try {
      assert.deepEqual(output.audio?.spectrograms.shape, [2, 1, 16, 256]);
      assert.equal(output.audio?.clips[0]?.length, 65536);
      // written out: the spectrogram PNG keeps its bands × frames; the sheet stretches it to a square tile
      const written = await writeJointOutput(join(root, 'written'), { audio: output.audio }, model.codec, { seed: 1 });
      const spectrogram = await sharp(join(root, 'written', '000-spectrogram.png')).metadata();
      assert.deepEqual([spectrogram.height, spectrogram.width], [16, 257]);
      const { data, info } = await sharp(written.sheet).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let coloured = 0;
      for (let at = 0; at < data.length; at += info.channels)
        if (data[at] !== 255 || data[at + 1] !== 255 || data[at + 2] !== 255) coloured++;
      // two 128×128 tiles of spectrogram colour (a strip would colour 2 × 128 × 8 pixels)
      assert.ok(coloured > 0.8 * 2 * 128 * 128, `${coloured} coloured pixels on the sheet`);
    } finally {
      disposeOutput(output);
    }
  } finally {
    model.dispose();
  }
  // tuning goes on from the reused weights: the image autoencoder moves a little, the text one not at all
  const tuned = join(root, 'tuned');
  (await trainJointDiffusion(config({ from: base, tune: ['image'], steps: 3 }), { runDir: tuned })).model.dispose();
  const tunedWeights = await weights(tuned);
  const distance = (a: Float32Array | undefined, b: Float32Array | undefined): number =>
    Math.max(...(a ?? []).map((value, index) => Math.abs(value - (b?.[index] ?? NaN))));
  const imageKey = 'autoencoders.image.decoder.output.weight';
  const moved = distance(tunedWeights.get(imageKey), baseWeights.get(imageKey));
  assert.ok(moved > 0 && moved < 0.05, `3 tuning steps moved ${imageKey} by ${moved}`);
  for (const [key, value] of tunedWeights)
    if (key.startsWith('autoencoders.text.')) assert.deepEqual(value, baseWeights.get(key), `${key} changed`);
  assert.equal(memory().tensors, before);
});

test('a reused autoencoder that does not fit, or retrain without from, is a clear error', async () => {
  const base = join(root, 'base-misfit');
  (await trainJointDiffusion(config({ steps: 2 }), { runDir: base })).model.dispose();
  await assert.rejects(
    trainJointDiffusion(config({ audio: sequenceAudio, from: base }), { runDir: join(root, 'misfit') }),
    /the audio weights of .*base-misfit do not fit this config; train that modality afresh with training.autoencoder.retrain: \[audio\]/,
  );
  assert.throws(() => config({ retrain: ['audio'] }), /give training.autoencoder.from too/);
  assert.throws(
    () => config({ from: base, retrain: ['audio'], tune: ['audio'] }),
    /audio cannot be both retrained afresh and tuned/,
  );
  assert.throws(
    () => config({ audio: { network: 'picture', spectrogram: { size: 16, frames: 256 } } }),
    /the picture network draws square spectrograms: frames \(256\) must equal size \(16\); or set audio.network: sequence/,
  );
});

test("autoencoders trained apart, one run per modality, join in one run with the text run's words", async () => {
  const before = memory().tensors;
  const pictures = join(root, 'pictures-only');
  const sounds = join(root, 'sounds-and-words');
  // a run with no score stage reads only the modalities its autoencoders train on
  const read = { pictures: new Set<string>(), sounds: new Set<string>() };
  const reading = (into: Set<string>) => (event: DataEvent) => {
    if (event.type === 'progress') into.add(event.message);
  };
  const apart = (modalitySteps: Record<string, number>) => config({ modalitySteps, scoreSteps: 0 });
  const picturesOnly = { runDir: pictures, onData: reading(read.pictures) };
  (await trainJointDiffusion(apart({ audio: 0, text: 0 }), picturesOnly)).model.dispose();
  (await trainJointDiffusion(apart({ image: 0 }), { runDir: sounds, onData: reading(read.sounds) })).model.dispose();
  assert.deepEqual([...read.pictures].sort(), ['reading train images']);
  assert.deepEqual([...read.sounds].sort(), ['reading train audio']);
  const joined = join(root, 'joined');
  const from = { image: pictures, audio: sounds, text: sounds };
  const { model } = await trainJointDiffusion(config({ from }), { runDir: joined });
  assert.equal(model.plan.autoencoderSteps, 0);
  model.dispose();
  const [picturesWeights, soundsWeights, joinedWeights] = [
    await weights(pictures),
    await weights(sounds),
    await weights(joined),
  ];
  for (const [prefix, source] of [
    ['autoencoders.image', picturesWeights],
    ['autoencoders.audio', soundsWeights],
    ['autoencoders.text', soundsWeights],
  ] as const) {
    const keys = [...source.keys()].filter((key) => key.startsWith(prefix));
    assert.ok(keys.length > 0, prefix);
    for (const key of keys) assert.deepEqual(joinedWeights.get(key), source.get(key), `${key} is not its source's`);
  }
  // each source had untrained autoencoders beside its own; the joined run's latent statistics are its own
  assert.deepEqual(joinedWeights.get('autoencoders.statisticsReady'), Float32Array.from([1]));
  assert.notDeepEqual(joinedWeights.get('autoencoders.latentStd'), picturesWeights.get('autoencoders.latentStd'));
  assert.deepEqual(
    (await Tokenizer.load(join(joined, 'tokenizer.json'))).tokens,
    (await Tokenizer.load(join(sounds, 'tokenizer.json'))).tokens,
  );
  assert.throws(
    () => config({ from: { image: pictures }, tune: ['audio'] }),
    /audio cannot be tuned: training.autoencoder.from names no run for it/,
  );
  assert.throws(
    () => config({ from, modalitySteps: { image: 10 } }),
    /image keeps the autoencoder of training.autoencoder.from and trains no steps here/,
  );
  assert.equal(memory().tensors, before);
});

test("a new score network over another run's autoencoders on other data keeps that run's word numbering", async () => {
  const before = memory().tensors;
  const base = join(root, 'base-words');
  (await trainJointDiffusion(config({ steps: 2 }), { runDir: base })).model.dispose();
  // the same three words, in other proportions: built afresh, this corpus would number them otherwise
  const other = join(root, 'other-shapes');
  await buildDataset({ builder: 'shapes', out: other, seed: 9, options: { level: 1, count: 12, spoken: true } });
  const otherTexts = (await readDataset(other)).entries
    .filter((entry) => entry.split === 'train')
    .map((entry) => entry.text);
  const baseWords = (await Tokenizer.load(join(base, 'tokenizer.json'))).tokens;
  assert.notDeepEqual(Tokenizer.fromCorpus(otherTexts, { level: 'word' }).tokens, baseWords);
  const reused = join(root, 'reused-words');
  (await trainJointDiffusion({ ...config({ from: base }), dataset: other }, { runDir: reused })).model.dispose();
  assert.deepEqual((await Tokenizer.load(join(reused, 'tokenizer.json'))).tokens, baseWords);
  assert.equal(memory().tensors, before);
});
