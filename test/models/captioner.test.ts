// The captioner: a tiny one overfits a handful of shapes images to their exact captions (greedy and
// beam), training is seeded, the caption command reports bad files by name and keeps the others,
// bad runs and beam widths are clear errors, evaluation runs end to end, and nothing leaks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Captioner, captionerConfig, type CaptionerConfig } from '../../src/models/captioner.js';
import { loadCaptionerRun } from '../../src/models/captioner-run.js';
import { CaptionerEnsemble, loadCaptionerEnsemble } from '../../src/models/captioner-ensemble.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { trainCaptioner } from '../../src/train/sessions/captioner.js';
import { captionFiles } from '../../src/cli/commands/caption.js';
import { runCaptionEval } from '../../src/cli/commands/eval-caption.js';
import { evaluateImageToText } from '../../src/eval/image-to-text.js';
import { writeCaptionReport } from '../../src/eval/image-to-text-report.js';
import { loadSplit } from '../../src/data/loader.js';
import { Tokenizer } from '../../src/modalities/text/index.js';
import { type Tensor, arange, memory, tidy } from '../../src/tensor/index.js';
import type { TrainEvent } from '../../src/train/events.js';
import { type TinyDataset, tinyShapes } from '../eval/helpers.js';

let data: TinyDataset;
let tensorsBefore = 0;
const events: TrainEvent[] = [];
const HANDFUL = 8;

function tinyConfig(
  dataset: string,
  steps: number,
  augment: { flip?: boolean; shift?: number } = {},
  retrieval: { neighbours?: number; keySide?: number } = {},
): CaptionerConfig {
  return captionerConfig.parse({
    recipe: 'captioner',
    dataset,
    seed: 3,
    model: {
      imageSize: 32,
      encoderChannels: 8,
      featureDim: 32,
      embeddingDim: 16,
      hiddenSize: 64,
      dropout: 0,
      augment,
      retrieval,
    },
    training: {
      steps,
      batchSize: HANDFUL,
      lr: 5e-3,
      warmupSteps: 10,
      labelSmoothing: 0.05,
      trainLimit: HANDFUL,
      sampleEvery: 100,
      checkpointEvery: 1000,
      logEvery: 1,
    },
    decoding: { beam: 3, maxLength: 12 },
  });
}

before(async () => {
  tensorsBefore = memory().tensors;
  data = await tinyShapes({ level: 3, count: 120 });
  const { model } = await trainCaptioner(tinyConfig(data.dir, 150), {
    runDir: join(data.root, 'run'),
    onEvent: (event) => events.push(event),
  });
  model.dispose();
});

after(async () => {
  await data.cleanup();
  assert.equal(memory().tensors, tensorsBefore, 'training, captioning or evaluation leaked tensors');
});

test('a tiny captioner overfits a handful of shapes images to their exact captions, greedy and beam', async () => {
  const losses = events.flatMap((event) => (event.type === 'step' ? [event.losses.loss as number] : []));
  assert.equal(losses.length, 150);
  assert.ok(
    (losses.at(-1) as number) < (losses[0] as number) * 0.3,
    `loss should fall: ${losses[0]} → ${losses.at(-1)}`,
  );
  const texts = events.find((event) => event.type === 'texts');
  assert.ok(
    texts && texts.type === 'texts' && texts.samples.length > 0,
    'sample captions are reported during training',
  );
  const { model } = await loadCaptionerRun(join(data.root, 'run'));
  const split = await loadSplit(data.dir, { split: 'train', limit: HANDFUL });
  try {
    const images = split.images!;
    const expected = split.entries.map((entry) => entry.text);
    assert.deepEqual(
      model.caption(images, { beam: 1 }).map((caption) => caption.text),
      expected,
    );
    const beamed = model.caption(images, { beam: 4 });
    assert.deepEqual(
      beamed.map((caption) => caption.text),
      expected,
    );
    for (const caption of beamed) assert.ok(caption.finished && caption.logProb < 0 && caption.score < 0);
    const sampled = model.caption(images, { sample: { seed: 4, temperature: 1.5 } }).map((caption) => caption.text);
    assert.deepEqual(
      model.caption(images, { sample: { seed: 4, temperature: 1.5 } }).map((caption) => caption.text),
      sampled,
      'same seed, same samples',
    );
  } finally {
    split.dispose();
    model.dispose();
  }
});

test('training is seeded: the same config gives the same loss curve', async () => {
  const curve = async (runDir: string): Promise<number[]> => {
    const losses: number[] = [];
    const { model } = await trainCaptioner(tinyConfig(data.dir, 6), {
      runDir,
      onEvent: (event) => event.type === 'step' && losses.push(event.losses.loss as number),
    });
    model.dispose();
    return losses;
  };
  assert.deepEqual(await curve(join(data.root, 'seeded-a')), await curve(join(data.root, 'seeded-b')));
});

test('a time limit ends captioner training early with a final checkpoint, as for the image and audio recipes', async () => {
  const config = captionerConfig.parse({
    ...tinyConfig(data.dir, 100000),
    training: { ...tinyConfig(data.dir, 100000).training, timeLimitMinutes: 0.002 },
  });
  const { result, model } = await trainCaptioner(config, { runDir: join(data.root, 'time-limited') });
  model.dispose();
  assert.equal(result.timeLimited, true);
  assert.ok(result.step > 0 && result.step < 100000, `stopped at step ${result.step}`);
  assert.ok(
    existsSync(join(data.root, 'time-limited', 'checkpoints', `step-${String(result.step).padStart(7, '0')}`)),
    'the last step is checkpointed',
  );
});

test('augmentation mirrors about half the images and shifts in black background; resume with it is exact', async () => {
  const before = memory().tensors;
  const tokenizer = Tokenizer.fromCorpus(['a shirt'], { level: 'word' });
  const models: Captioner[] = [];
  const augmentOf = (augment: { flip?: boolean; shift?: number }): ((images: Tensor) => Tensor) => {
    const model = new Captioner(tinyConfig(data.dir, 1, augment), tokenizer, { channels: 1, size: 16 });
    models.push(model);
    return (images) => (model as unknown as { augment(x: Tensor): Tensor }).augment(images);
  };
  // 64 distinct 16×16 ramps in (-1, 1): a mirrored one is told apart from an unmirrored one
  const images = tidy(() =>
    arange(64 * 256, undefined, 1, 'float32')
      .reshape(64, 1, 16, 16)
      .div(64 * 256)
      .mul(1.8)
      .sub(0.9),
  );
  const mirrored = augmentOf({ flip: true })(images);
  const flipped = images.flip(3);
  const [out, mirror, same] = [mirrored, flipped, images].map((t) => t.toFlatArray());
  const equalAt = (a: ArrayLike<number>, b: ArrayLike<number>, index: number): boolean =>
    Array.from({ length: 256 }, (_, at) => index * 256 + at).every((at) => a[at] === b[at]);
  let mirrorCount = 0;
  for (let index = 0; index < 64; index++) {
    const isMirror = equalAt(out!, mirror!, index);
    assert.ok(isMirror !== equalAt(out!, same!, index), `image ${index} is either itself or its mirror`);
    if (isMirror) mirrorCount++;
  }
  assert.ok(mirrorCount > 16 && mirrorCount < 48, `about half are mirrored, got ${mirrorCount} of 64`);
  const shifted = augmentOf({ shift: 2 })(images);
  const values = shifted.toFlatArray();
  assert.ok(
    values.every((value) => value === -1 || (value > -0.91 && value < 0.91)),
    'shifted-in pixels are background (-1), the rest are image pixels',
  );
  assert.ok(
    values.some((value) => value === -1),
    'some images were shifted',
  );
  for (const t of [images, mirrored, flipped, shifted]) t.dispose();
  for (const model of models) model.dispose();
  // the augmentation stream is saved with checkpoints
  const augment = { flip: true, shift: 2 };
  const straight = await trainCaptioner(tinyConfig(data.dir, 6, augment), { runDir: join(data.root, 'aug-straight') });
  straight.model.dispose();
  const first = await trainCaptioner(tinyConfig(data.dir, 6, augment), {
    runDir: join(data.root, 'aug-resumed'),
    stopAfter: 3,
  });
  first.model.dispose();
  const second = await trainCaptioner(tinyConfig(data.dir, 6, augment), {
    runDir: join(data.root, 'aug-resumed'),
    resume: true,
  });
  second.model.dispose();
  const [a, b] = await Promise.all(
    ['aug-straight', 'aug-resumed'].map((run) => readFile(join(data.root, run, 'model.safetensors'))),
  );
  assert.ok(a!.equals(b!), 'weights after resume equal the uninterrupted run');
  assert.equal(memory().tensors, before, 'augmentation, training and resume leak no tensors');
});

test('a retrieval captioner learns with its own caption kept out of the bank, resumes exactly and loads with its bank', async () => {
  const before = memory().tensors;
  const retrieval = { neighbours: 2, keySide: 8 };
  const losses: number[] = [];
  const straight = await trainCaptioner(tinyConfig(data.dir, 40, {}, retrieval), {
    runDir: join(data.root, 'rag-straight'),
    onEvent: (event) => event.type === 'step' && losses.push(event.losses.loss as number),
  });
  assert.ok(
    (losses.at(-1) as number) < (losses[0] as number) * 0.6,
    `loss should fall: ${losses[0]} → ${losses.at(-1)}`,
  );
  const first = await trainCaptioner(tinyConfig(data.dir, 40, {}, retrieval), {
    runDir: join(data.root, 'rag-resumed'),
    stopAfter: 20,
  });
  first.model.dispose();
  const second = await trainCaptioner(tinyConfig(data.dir, 40, {}, retrieval), {
    runDir: join(data.root, 'rag-resumed'),
    resume: true,
  });
  second.model.dispose();
  const [a, b] = await Promise.all(
    ['rag-straight', 'rag-resumed'].map((run) => readFile(join(data.root, run, 'model.safetensors'))),
  );
  assert.ok(a!.equals(b!), 'weights after resume equal the uninterrupted run');
  const config = JSON.parse(await readFile(join(data.root, 'rag-straight', 'config.json'), 'utf8')) as {
    retrievalBank: { images: number; captionLength: number };
  };
  assert.equal(config.retrievalBank.images, HANDFUL);
  const { model } = await loadCaptionerRun(join(data.root, 'rag-straight'));
  const split = await loadSplit(data.dir, { split: 'test', limit: 6 });
  try {
    const expected = straight.model.caption(split.images!, { beam: 2 }).map((caption) => caption.text);
    assert.deepEqual(
      model.caption(split.images!, { beam: 2 }).map((caption) => caption.text),
      expected,
      'the loaded run (bank included) captions as the trained model does',
    );
    assert.ok(expected.every((text) => text.length > 0));
  } finally {
    split.dispose();
    model.dispose();
    straight.model.dispose();
  }
  assert.equal(memory().tensors, before, 'retrieval training, resume and captioning leak no tensors');
});

test('caption: corrupt, empty and missing files are reported by name, the others still captioned; bad beam and non-captioner runs are clear errors', async () => {
  const run = join(data.root, 'run');
  const corrupt = join(data.root, 'corrupt.png');
  const empty = join(data.root, 'empty.jpg');
  await writeFile(corrupt, 'this is not an image');
  await writeFile(empty, '');
  const good = join(data.dir, 'images', '00000.png');
  const lines = await captionFiles(run, [good, corrupt, empty, join(data.root, 'missing.png'), good], { batch: '64' });
  assert.equal(lines.length, 5);
  assert.equal(lines[0]?.caption, lines[4]?.caption);
  assert.ok((lines[0]?.caption ?? '').length > 0);
  assert.match(lines[1]?.error ?? '', /corrupt\.png/);
  assert.match(lines[2]?.error ?? '', /empty\.jpg: the file is empty/);
  assert.match(lines[3]?.error ?? '', /missing\.png: no such file/);
  await assert.rejects(captionFiles(run, [good], { batch: '64', beam: '0' }), /--beam must be a positive integer/);
  await assert.rejects(
    runCaptionEval(run, { batch: '64', split: 'train' }),
    /--split must be test or val, got "train"/,
  );
  const other = join(data.root, 'gan-run');
  await mkdir(other, { recursive: true });
  await writeFile(join(other, 'config.json'), JSON.stringify({ recipe: 'text2image-gan', dataset: data.dir }));
  await assert.rejects(captionFiles(other, [good], { batch: '64' }), /is a "text2image-gan" run, not a captioner/);
  await assert.rejects(captionFiles(join(data.root, 'nothing'), [good], { batch: '64' }), /not a readable mmgen run/);
});

test('an ensemble of runs: with itself it captions as the run alone, with another run it takes both into account; its report is its own', async () => {
  const before = memory().tensors;
  const run = join(data.root, 'run');
  // a second, differently seeded member, trained less
  const otherConfig = { ...tinyConfig(data.dir, 60), seed: 11 };
  (await trainCaptioner(otherConfig, { runDir: join(data.root, 'member') })).model.dispose();
  const split = await loadSplit(data.dir, { split: 'test', limit: 12 });
  const { model: alone } = await loadCaptionerRun(run);
  const { model: member } = await loadCaptionerRun(join(data.root, 'member'));
  const self = await loadCaptionerEnsemble(run, [run]);
  const pair = await loadCaptionerEnsemble(run, [join(data.root, 'member')]);
  try {
    const images = split.images!;
    const single = alone.caption(images, { beam: 3 });
    const doubled = self.ensemble.caption(images, { beam: 3 });
    assert.deepEqual(
      doubled.map((caption) => caption.text),
      single.map((caption) => caption.text),
      'the product of a distribution with itself is that distribution',
    );
    doubled.forEach((caption, index) => assert.ok(Math.abs(caption.logProb - (single[index]?.logProb ?? 0)) < 1e-3));
    // with another member, the first word is the argmax of the members' mean log-probabilities
    const together = pair.ensemble.caption(images, { beam: 1 });
    assert.equal(together.length, 12);
    const first = images.narrow(0, 0, 1);
    const writings = [alone, member].map((model) => model.beginWriting(first));
    const stepped = writings.map((writing) =>
      writing.steps.step(writing.initial, Int32Array.of(alone.tokenizer.bosId)),
    );
    const mean = Array.from(
      { length: alone.tokenizer.vocabularySize },
      (_, v) => stepped.reduce((sum, result) => sum + (result.logProbs[v] as number), 0) / 2,
    );
    stepped.forEach((result, index) => writings[index]?.steps.release(result.state));
    writings.forEach((writing) => writing.finish());
    first.dispose();
    assert.equal(together[0]?.tokens[0] ?? alone.tokenizer.eosId, mean.indexOf(Math.max(...mean)));
    const stranger = new Captioner(
      tinyConfig(data.dir, 1),
      Tokenizer.fromCorpus(['a shirt'], { level: 'word' }),
      alone.shape,
    );
    assert.throws(
      () => new CaptionerEnsemble([alone, stranger], ['run', 'other']),
      /other has another vocabulary than run/,
    );
    stranger.dispose();
  } finally {
    split.dispose();
    for (const model of [alone, member]) model.dispose();
    self.ensemble.dispose();
    pair.ensemble.dispose();
  }
  await runCaptionEval(run, { batch: '64', with: [join(data.root, 'member')], limit: '6' });
  assert.ok(
    !existsSync(join(run, 'eval.md')) || !(await readFile(join(run, 'eval.md'), 'utf8')).includes('ensemble'),
    "the run's own report is not overwritten",
  );
  const good = join(data.dir, 'images', '00000.png');
  const [withItself] = await captionFiles(run, [good], { batch: '64', with: [run] });
  assert.equal(
    withItself?.caption,
    (await captionFiles(run, [good], { batch: '64' }))[0]?.caption,
    'mmgen caption --with RUN itself captions as RUN',
  );
  const report = await readFile(join(run, 'eval-ensemble.md'), 'utf8');
  assert.match(report, /captioned by an ensemble of runs/);
  assert.match(report, /member/);
  // consensus reranking from the command line: captions come back, bad counts are refused, the report says how it decoded
  const [reranked] = await captionFiles(run, [good], {
    batch: '64',
    with: [join(data.root, 'member')],
    consensus: '4',
  });
  assert.ok(reranked?.caption !== undefined && reranked.error === undefined);
  await assert.rejects(
    captionFiles(run, [good], { batch: '64', consensus: '-1' }),
    /--consensus must be a non-negative integer .*got -1/,
  );
  await assert.rejects(
    captionFiles(run, [good], { batch: '64', consensus: '4', consensusTemperature: '0' }),
    /--consensus-temperature must be a positive number, got "0"/,
  );
  await runCaptionEval(run, {
    batch: '64',
    with: [join(data.root, 'member')],
    limit: '6',
    consensus: '4',
    consensusTemperature: '3',
  });
  assert.match(await readFile(join(run, 'eval-ensemble.md'), 'utf8'), /consensus of 4 \(temperature 3\)/);
  await mkdir(join(data.root, 'gan-run'), { recursive: true });
  await writeFile(
    join(data.root, 'gan-run', 'config.json'),
    JSON.stringify({ recipe: 'text2image-gan', dataset: data.dir }),
  );
  await assert.rejects(
    runEval(join(data.root, 'gan-run'), {
      with: [run],
      captions: '1',
      perCaption: '1',
      seed: '0',
      batch: '1',
      kidSubsets: '1',
    }),
    /--with ensembles captioner runs; .* is a "text2image-gan" run/,
  );
  assert.equal(memory().tensors, before, 'ensembles, their captions and their evaluation leak no tensors');
});

test('image→text evaluation scores the captioner and the nearest-neighbour baseline on the test split', async () => {
  const { model } = await loadCaptionerRun(join(data.root, 'run'));
  try {
    const evaluation = await evaluateImageToText({
      captioner: { caption: (images) => model.caption(images, { beam: 2 }).map((caption) => caption.text) },
      neighbourSpace: { name: 'encoder features', features: (images) => model.features(images) },
      dataset: data.dir,
    });
    assert.equal(evaluation.split, 'test');
    assert.equal(evaluation.images, 12);
    const protocol = evaluation.captioner.protocol!;
    assert.deepEqual(Object.keys(protocol.attributes.attributes), ['shape', 'size', 'colour']);
    assert.ok(Math.abs(protocol.strict.chance - 1 / 30) < 1e-12);
    const exact = evaluation.examples.filter((example) => example.captioner === example.reference).length;
    assert.ok(exact <= Math.round(protocol.strict.value * 12));
    // the baseline answers with training captions only
    for (const example of evaluation.examples)
      assert.ok(evaluation.nearestNeighbour && example.nearestNeighbour.length > 0);
    assert.ok(evaluation.captioner.bleu.every((value) => value >= 0 && value <= 1));
    // the val split (for choosing decoding settings) is scored on its own images and reported beside, not over, eval.md
    const onVal = await evaluateImageToText({
      captioner: { caption: (images) => model.caption(images, { beam: 2 }).map((caption) => caption.text) },
      neighbourSpace: { name: 'encoder features', features: (images) => model.features(images) },
      dataset: data.dir,
      split: 'val',
    });
    assert.equal(onVal.split, 'val');
    const valIds = new Set(onVal.examples.map((example) => example.id));
    assert.ok(
      evaluation.examples.every((example) => !valIds.has(example.id)),
      'val and test images differ',
    );
    const paths = await writeCaptionReport(data.root, onVal, {
      runDir: 'run',
      recipe: 'captioner',
      decoding: 'beam 2',
      seconds: 1,
    });
    assert.deepEqual(
      [paths.json, paths.markdown].map((path) => path.split('/').pop()),
      ['eval-val.json', 'eval-val.md'],
    );
    assert.match(await readFile(paths.markdown, 'utf8'), /val images captioned/);
  } finally {
    model.dispose();
  }
});
