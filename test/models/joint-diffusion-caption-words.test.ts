// training.autoencoder.captionWords: the picture latent also predicts its caption's words through a head that
// only trains the encoder. The term falls as the autoencoder trains; a run without it reuses such a run's
// autoencoders (the head dropped, the encoder's weights as trained), and a run with it tunes an autoencoder
// trained without it (a fresh head). With redrawnWords, decoded pictures encoded again (the encoder's weights
// held) predict their caption's words too; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { type JointDiffusionConfig } from '../../src/models/joint-diffusion.js';
import { tinyJointDiffusion, trainedTerm } from './tiny-joint-diffusion.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';
import { JointAutoencoders } from '../../src/models/joint/autoencoders.js';
import { Tokenizer } from '../../src/modalities/text/index.js';
import { Generator, type Tensor, dispose, memory, rand, tensor, tidy } from '../../src/tensor/index.js';
import { loadSafetensors } from '../../src/tensor/safetensors.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-caption-words-'));
const dataset = join(root, 'shapes');
await buildDataset({ builder: 'shapes', out: dataset, seed: 2, options: { level: 1, count: 30, val: 0.1, test: 0.1 } });

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

function config(autoencoder: Record<string, unknown>, scoreSteps = 0, seed = 0): JointDiffusionConfig {
  return tinyJointDiffusion(dataset, {
    seed,
    autoencoder: { steps: 300, batchSize: 6, lr: 3e-3, ...autoencoder },
    score: { steps: scoreSteps, batchSize: 6 },
    trainLimit: 6,
    logEvery: 10,
  });
}

const weightsOf = async (runDir: string): Promise<Map<string, Tensor>> =>
  (await loadSafetensors(join(runDir, 'model.safetensors'))).tensors;

function equal(a: Tensor | undefined, b: Tensor | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const other = b.toFlatArray();
  return a.toFlatArray().every((value, index) => value === other[index]);
}

for (const seed of [0, 1, 2]) {
  test(`seed ${seed}: the caption-words term falls below a quarter as the picture autoencoder learns its six captions`, async () => {
    const before = memory().tensors;
    const words = await trainedTerm(config({ captionWords: 10 }, 0, seed), join(root, `words-${seed}`), 'words_image');
    assert.ok(words.length >= 10, 'the term is logged at every log step');
    const [first, last] = [words[0] ?? 0, words.at(-1) ?? Infinity];
    assert.ok(last < first * 0.25, `words_image ${first} → ${last}`);
    assert.equal(memory().tensors, before);
  });
}

test('a run without the term reuses autoencoders trained with it (head dropped); one with it tunes an autoencoder trained without it', async () => {
  const before = memory().tensors;
  const withWords = join(root, 'words-0');
  const plain = join(root, 'plain');
  (await trainJointDiffusion(config({ steps: 20 }, 3), { runDir: plain })).model.dispose();
  const reused = join(root, 'reused');
  (await trainJointDiffusion(config({ from: withWords }, 3), { runDir: reused })).model.dispose();
  const tunedLosses: Record<string, number>[] = [];
  const tuned = join(root, 'tuned');
  (
    await trainJointDiffusion(config({ from: plain, tune: ['image'], steps: 20, captionWords: 1 }, 0), {
      runDir: tuned,
      onEvent: (event) => event.type === 'step' && tunedLosses.push(event.losses),
    })
  ).model.dispose();
  const source = await weightsOf(withWords);
  const reusedWeights = await weightsOf(reused);
  const plainWeights = await weightsOf(plain);
  const tunedWeights = await weightsOf(tuned);
  try {
    const headKeys = (weights: Map<string, Tensor>): string[] =>
      [...weights.keys()].filter((key) => key.includes('imageWords.'));
    assert.ok(headKeys(source).length > 0, 'the run trained with the term saves its head');
    assert.deepEqual(headKeys(reusedWeights), [], 'a run without the term has no head');
    assert.deepEqual(headKeys(plainWeights), [], 'nor does a run that never had it');
    const encoderKeys = [...source.keys()].filter((key) => key.includes('autoencoders.image.'));
    assert.ok(encoderKeys.length > 0);
    assert.ok(
      encoderKeys.every((key) => equal(source.get(key), reusedWeights.get(key))),
      'the reused picture autoencoder is the one trained with the term',
    );
    assert.ok(headKeys(tunedWeights).length > 0, 'tuning with the term adds a head');
    assert.ok(
      tunedLosses.some((losses) => losses.words_image !== undefined),
      'the tuned run trains the caption-words term',
    );
  } finally {
    dispose([source, reusedWeights, plainWeights, tunedWeights].flatMap((weights) => [...weights.values()]));
  }
  assert.equal(memory().tensors, before);
});

test('the redrawn-words term reaches the pixels and holds the encoder and its head', () => {
  const before = memory().tensors;
  const tokenizer = Tokenizer.fromCorpus(['red square', 'blue heart'], { level: 'word' });
  const { model } = config({ captionWords: 1 });
  const autoencoders = new JointAutoencoders(model, { image: { size: 16, channels: 3 }, tokenizer }, 8, undefined, {
    captionWords: true,
  });
  const image = autoencoders.indexOf('image');
  tidy(() => {
    const pixels = rand([2, 3, 16, 16], { generator: new Generator(0) }).requiresGrad_();
    const encoded = tokenizer.encodeBatch(['red square', 'blue heart'], { addBos: true, addEos: true });
    const captions = { tokens: encoded.ids, lengths: tensor(BigInt64Array.from(encoded.lengths, BigInt)) };
    autoencoders.heldCaptionWords(image, pixels, captions, tensor([1, 1])).backward();
    assert.ok((pixels.grad?.abs().sum().item() ?? 0) > 0, 'the pixels get a gradient');
    const held = autoencoders.parametersOf(['image']);
    assert.ok(held.length > 0);
    assert.ok(
      held.every((parameter) => parameter.requiresGrad && (parameter.grad?.abs().sum().item() ?? 0) === 0),
      "the encoder's and the head's weights get none, and train again afterwards",
    );
  });
  autoencoders.dispose();
  assert.equal(memory().tensors, before);
  assert.throws(
    () => config({ redrawnWords: { weight: 0.5 } }),
    /redrawnWords reads decoded pictures with the caption-words head: set training.autoencoder.captionWords/,
  );
});

test('with redrawnWords the decoded pictures learn to read as their captions after its start', async () => {
  const before = memory().tensors;
  const logged: { step: number; losses: Record<string, number> }[] = [];
  const { model } = await trainJointDiffusion(config({ captionWords: 10, redrawnWords: { weight: 0.5, start: 100 } }), {
    runDir: join(root, 'redrawn'),
    onEvent: (event) => event.type === 'step' && logged.push({ step: event.step, losses: event.losses }),
  });
  model.dispose();
  const redrawn = logged.filter(({ losses }) => losses.redrawn_words !== undefined);
  assert.ok(redrawn.length > 0 && redrawn.every(({ step }) => step > 100), 'the term counts after its start only');
  const [first, last] = [redrawn[0]?.losses.redrawn_words ?? 0, redrawn.at(-1)?.losses.redrawn_words ?? Infinity];
  assert.ok(last < first * 0.5, `redrawn_words ${first} → ${last}`);
  assert.equal(memory().tensors, before);
});
