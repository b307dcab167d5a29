// sampling.captionWords: with several draws per output, a run trained with caption-words heads ranks its draws
// also by how well the words the heads read agree with the given caption (or, for a joint sample, with each
// other; a caption drawn from a picture is written out and read by the picture's head). The disagreement
// against its closed form, the rank combination on a known case, and a tiny run whose text→image draws and
// image→text captions, so ranked, agree with their sources' words more than when ranked by the denoising error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { wordsDisagreement, writtenWords } from '../../src/models/joint/caption-words.js';
import { bestOfGroups, rankSum } from '../../src/models/joint/candidates.js';
import { conditionalLatents } from '../../src/models/joint/diffusion-sampling.js';
import { wordViews } from '../../src/models/joint/word-views.js';
import { prepareJointInputs } from '../../src/models/joint/inputs.js';
import { loadJointSplit } from '../../src/train/sessions/joint.js';
import { readDataset } from '../../src/data/format.js';
import type { TokenBatch } from '../../src/models/joint/parts.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';
import { Generator, type Tensor, dispose, memory, tensor, tidy } from '../../src/tensor/index.js';
import { tinyJointDiffusion } from './tiny-joint-diffusion.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-words-reranking-'));
const dataset = join(root, 'shapes');
await buildDataset({ builder: 'shapes', out: dataset, seed: 3, options: { level: 2, count: 60, val: 0.1, test: 0.1 } });

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the words disagreement is the binary cross-entropy of each output against its sources, summed', () => {
  const before = memory().tensors;
  const imageLogits = tensor([0, 0, 2, -1], { shape: [2, 2] });
  const audioLogits = tensor([1, 1, 1, 1], { shape: [2, 2] });
  const views = [
    { logits: imageLogits, words: imageLogits.sigmoid() },
    { words: tensor([1, 0, 0, 1], { shape: [2, 2] }) },
    { logits: audioLogits, words: audioLogits.sigmoid() },
  ];
  const bce = (logit: number, target: number): number => Math.log1p(Math.exp(logit)) - target * logit;
  const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
  // text → image: the picture's words against the caption's
  const translated = wordsDisagreement(views, [false, true, false], [true, false, false]);
  assert.deepEqual(
    translated?.toFlatArray().map((value) => value.toFixed(5)),
    [bce(0, 1) + bce(0, 0), bce(2, 0) + bce(-1, 1)].map((value) => value.toFixed(5)),
  );
  // a joint sample of picture and sound: each against the other, both ways
  const joint = wordsDisagreement(views, [false, false, false], [true, false, true]);
  const expected = [
    [0, 0],
    [2, -1],
  ].map((row) => row.reduce((sum, logit) => sum + bce(logit, sigmoid(1)) + bce(1, sigmoid(logit)), 0));
  joint?.toFlatArray().forEach((value, row) => assert.ok(Math.abs(value - (expected[row] ?? 0)) < 1e-5));
  // image → text: the written caption's words read by the given picture's head
  const written = wordsDisagreement(views, [true, false, false], [false, true, false]);
  assert.deepEqual(
    written?.toFlatArray().map((value) => value.toFixed(5)),
    [bce(0, 1) + bce(0, 0), bce(2, 0) + bce(-1, 1)].map((value) => value.toFixed(5)),
  );
  // a joint sample of picture and caption counts the pair once, from the picture's side
  const jointText = wordsDisagreement(views, [false, false, false], [true, true, false]);
  assert.deepEqual(jointText?.toFlatArray(), translated?.toFlatArray());
  const unread = [{ words: views[1]?.words as Tensor }, undefined, undefined];
  assert.equal(wordsDisagreement(unread, [false, true, false], [true, false, false]), undefined, 'no head reads');
  dispose(
    [translated, joint, written, jointText, imageLogits, audioLogits, ...views.flatMap((view) => [view.words])].flatMap(
      (t) => t ?? [],
    ),
  );
  assert.equal(memory().tensors, before);
});

test('a written caption is the multi-hot row of bos, its tokens and eos; padding is no word', () => {
  const before = memory().tensors;
  const written = { text: '', logProb: 0, score: 0, finished: true };
  const ids = { bosId: 1, eosId: 2, padId: 0 };
  const words = writtenWords(
    [
      { ...written, tokens: [4, 5, 4] },
      { ...written, tokens: [] },
    ],
    ids,
    6,
  );
  assert.deepEqual(Array.from(words.toFlatArray()), [0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0]);
  words.dispose();
  assert.equal(memory().tensors, before);
});

test('ranks, not errors, are summed: the best draw of each group is best on both lists together', () => {
  // group 1: the denoising error prefers draw 0 and the words draw 1, which is second by the denoising error;
  // group 2: the two lists rank its draws in opposite orders, a tie kept by the denoising error
  const scores = rankSum(
    [
      [1, 2, 3, 5, 6, 7],
      [900, 10, 20, 0.3, 0.2, 0.1],
    ],
    3,
  );
  assert.deepEqual(bestOfGroups(scores, 3), [1, 3]);
  assert.deepEqual(rankSum([[4, 2, 9]], 3), [4, 2, 9], 'one list is kept as it is');
  assert.throws(() => rankSum([[1, 2], [1]], 2), /do not line up/);
});

for (const seed of [0, 1, 2]) {
  test(`seed ${seed}: text→image and image→text draws ranked by the caption words agree closer with their sources`, async () => {
    const before = memory().tensors;
    const config = tinyJointDiffusion(dataset, {
      seed,
      autoencoder: { steps: 300, batchSize: 8, lr: 3e-3, captionWords: 10 },
      score: { steps: 200, batchSize: 32 },
      trainLimit: 12,
      logEvery: 50,
    });
    const { model } = await trainJointDiffusion(config, { runDir: join(root, `run-${seed}`) });
    const captions = ['big square', 'small ellipse', 'big heart', 'small heart', 'big ellipse', 'small square'];
    const prepared = await prepareJointInputs(model, { text: captions });
    const text = prepared.inputs.text as TokenBatch;
    const held = model.names.map((name) => name === 'text');
    const outputs = model.names.map((name) => name === 'image');
    const readError = (captionWords: boolean): number => {
      const latents = conditionalLatents(model.autoencoders, model.averaged, prepared.inputs, captions.length, 1, {
        steps: 5,
        guidance: 0,
        eta: 0,
        candidates: 8,
        captionWords,
        to: ['image'],
        generator: new Generator(11),
      });
      const judged = model.autoencoders.reencoded(latents, held);
      const views = wordViews(model.autoencoders, judged, text);
      const error = wordsDisagreement(views, held, outputs);
      const values = error?.toFlatArray() ?? [];
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      dispose(
        [latents, judged, error, ...views.flatMap((view) => [view?.logits, view?.words])].flatMap((t) => t ?? []),
      );
      return mean;
    };
    const [ranked, plain] = [readError(true), readError(false)];
    dispose([text.tokens, text.lengths]);
    assert.ok(
      ranked < plain * 0.95,
      `words disagreement of the kept draws: ${ranked} with the words, ${plain} without`,
    );

    // image → text: each draw's caption is written out and read by the given picture's head
    const split = await loadJointSplit(await readDataset(dataset), model, { split: 'train', limit: 24 });
    const images = tidy(() => (split.images as Tensor).float().div(127.5).sub(1));
    const pictureHeld = model.names.map((name) => name === 'image');
    const textOut = model.names.map((name) => name === 'text');
    const writtenError = (captionWords: boolean): number => {
      const latents = conditionalLatents(model.autoencoders, model.averaged, { image: images }, 24, 1, {
        steps: 5,
        guidance: 0,
        eta: 0,
        candidates: 8,
        captionWords,
        to: ['text'],
        generator: new Generator(11),
      });
      const views = wordViews(model.autoencoders, latents, undefined, true);
      const error = wordsDisagreement(views, pictureHeld, textOut);
      const values = error?.toFlatArray() ?? [];
      dispose([latents, error, ...views.flatMap((view) => [view?.logits, view?.words])].flatMap((t) => t ?? []));
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    };
    const [writtenRanked, writtenPlain] = [writtenError(true), writtenError(false)];
    images.dispose();
    split.dispose();
    model.dispose();
    assert.ok(
      writtenRanked < writtenPlain * 0.9,
      `the kept captions' words as their pictures read them: ${writtenRanked} with the words, ${writtenPlain} without`,
    );
    assert.equal(memory().tensors, before);
  });
}
