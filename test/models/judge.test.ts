// The judge: a short fit on a tiny shapes build beats chance on held-out images, saves and loads
// to the same predictions, is seeded, converts its inputs, and leaks no tensors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Tensor, full, memory, rand, randn, tensor, tidy } from '../../src/tensor/index.js';
import { Random } from '../../src/data/random.js';
import { NO_AUGMENTATION, augmentBatch, judgeAugmentation } from '../../src/models/judge-augment.js';
import { readDataset, type DatasetInfo } from '../../src/data/format.js';
import { loadSplit } from '../../src/data/loader.js';
import { JUDGE_INFO_FILE, Judge, JudgeNetwork } from '../../src/models/judge.js';
import {
  judgeAccuracy,
  judgeArchitecture,
  judgedAttributes,
  trainJudge,
  type JudgeEvent,
} from '../../src/models/judge-train.js';
import { type TinyDataset, tinyShapes, withoutLeaks } from '../eval/helpers.js';

let data: TinyDataset;
let judge: Judge;
const events: JudgeEvent[] = [];
let tensorsBefore = 0;
const SMALL = { widths: [8, 16, 32, 32] as [number, number, number, number], features: 64 };

before(async () => {
  tensorsBefore = memory().tensors;
  // level 2 (shape, size): 6 combinations, 480 train / 60 val / 60 test; a narrow network keeps it quick.
  // 200 steps: after 100, shape accuracy was 0.60-0.67 over seeds 0-7 (3 images above the bar); after 200, 0.82-0.90
  data = await tinyShapes({ level: 2, count: 600 });
  judge = (
    await trainJudge({
      dataset: data.dir,
      steps: 200,
      batchSize: 32,
      learningRate: 3e-3,
      seed: 1,
      logEvery: 50,
      architecture: SMALL,
      onEvent: (event) => events.push(event),
    })
  ).judge;
});

after(async () => {
  judge.dispose();
  await data.cleanup();
  assert.equal(memory().tensors, tensorsBefore, 'the trained judge and its data leaked tensors');
});

test('a short fit beats chance on every attribute of held-out real images', () => {
  const { accuracy, attributes } = judge.info;
  assert.deepEqual(Object.keys(attributes), ['shape', 'size']);
  // chance: shape 1/3, size 1/2; 60 test images (small shapes take far longer to tell apart than big ones)
  assert.ok((accuracy.shape ?? 0) > 0.55, `shape accuracy ${accuracy.shape}`);
  assert.ok((accuracy.size ?? 0) > 0.9, `size accuracy ${accuracy.size}`);
  assert.equal(judge.info.evaluation.split, 'test');
  assert.equal(judge.info.evaluation.samples, 60);
  assert.equal(judge.info.threshold, 0.99);
  for (const name of judge.attributeNames) assert.equal(judge.info.trusted[name], (accuracy[name] ?? 0) >= 0.99);
});

test('features are scaled to unit mean square on the real training images', async () => {
  await withoutLeaks(async () => {
    const train = await loadSplit(data.dir, { split: 'train', audio: false, images: 'uint8' });
    try {
      const meanSquare = tidy(() => judge.features(train.images!).square().mean().item());
      assert.ok(Math.abs(meanSquare - 1) < 1e-4, `mean square ${meanSquare}`);
      assert.ok(judge.info.featureScale > 0 && judge.info.featureScale !== 1);
    } finally {
      train.dispose();
    }
  });
});

test('training reports progress and the held-out result as events', () => {
  const steps = events.filter((event) => event.type === 'step');
  assert.deepEqual(
    steps.map((event) => event.step),
    [50, 100, 150, 200],
  );
  const last = steps.at(-1);
  assert.ok(
    last && last.type === 'step' && last.total === 200 && last.etaSeconds === 0 && Number.isFinite(last.smoothedLoss),
  );
  const first = steps[0];
  assert.ok(first && first.type === 'step' && last.smoothedLoss < first.smoothedLoss, 'the loss goes down');
  assert.ok(events.some((event) => event.type === 'progress' && event.message === 'reading train images'));
  const evaluated = events.find((event) => event.type === 'evaluated');
  assert.deepEqual(evaluated, { type: 'evaluated', split: 'test', samples: 60, accuracy: judge.info.accuracy });
});

test('save and load give the same predictions and features, and judge.json records provenance', async () => {
  await withoutLeaks(async () => {
    const out = join(data.root, 'judge');
    await mkdir(out);
    await judge.save(out);
    const info = JSON.parse(await readFile(join(out, JUDGE_INFO_FILE), 'utf8')) as Judge['info'];
    assert.equal(info.kind, 'mmgen-judge');
    assert.equal(info.dataset.builder, 'shapes');
    assert.equal(info.dataset.options.level, 2);
    assert.deepEqual(info.image, { channels: 3, height: 64, width: 64 });
    assert.deepEqual(info.architecture, { channels: 3, inputSize: 64, ...SMALL, keypoints: 16 });
    assert.equal(info.training.steps, 200);
    assert.deepEqual(info.accuracy, judge.info.accuracy);
    assert.equal(info.featureScale, judge.info.featureScale);
    const loaded = await Judge.load(out);
    const test = await loadSplit(data.dir, { split: 'test', audio: false });
    try {
      const a = judge.run(test.images!, { features: true });
      const b = loaded.run(test.images!, { features: true });
      for (const name of judge.attributeNames)
        assert.deepEqual([...b.predictions.get(name)!], [...a.predictions.get(name)!], name);
      assert.deepEqual(b.features!.shape, [60, 64]);
      assert.deepEqual(b.features!.toFlatArray(), a.features!.toFlatArray());
      assert.deepEqual(judgeAccuracy(loaded, test), judge.info.accuracy, 'accuracy recomputes to the stored value');
      a.features!.dispose();
      b.features!.dispose();
    } finally {
      test.dispose();
      loaded.dispose();
    }
    await assert.rejects(
      Judge.load(join(data.root, 'nowhere')),
      /has no judge\.json; train a judge with `mmgen eval train-judge DATASET --out/,
    );
  });
});

test('uint8 and float inputs agree; grey input is expanded; bad inputs get clear errors', async () => {
  await withoutLeaks(async () => {
    const test = await loadSplit(data.dir, { split: 'test', audio: false, images: 'uint8', limit: 8 });
    try {
      const fromBytes = judge.run(test.images!);
      const asFloat = tidy(() => test.images!.float().div(127.5).sub(1));
      const fromFloat = judge.run(asFloat);
      for (const name of judge.attributeNames)
        assert.deepEqual([...fromFloat.predictions.get(name)!], [...fromBytes.predictions.get(name)!]);
      // small overshoots are clamped, as a PNG would be
      const [overshoot, clamped] = tidy(() => [asFloat.mul(1.3), asFloat.mul(1.3).clamp(-1, 1)]);
      const a = judge.features(overshoot!);
      const b = judge.features(clamped!);
      assert.deepEqual(a.toFlatArray(), b.toFlatArray());
      for (const t of [asFloat, overshoot!, clamped!, a, b]) t.dispose();
    } finally {
      test.dispose();
    }
    tidy(() => {
      const grey = rand([3, 1, 32, 32]).mul(2).sub(1);
      assert.equal(
        judge.run(grey).predictions.get('shape')!.length,
        3,
        'grey 32×32 input is converted to colour 64×64',
      );
      assert.throws(
        () => judge.run(full([2, 3, 64, 64], 200)),
        /judge input must be float images in \[-1, 1\], got values in \[200\.000, 200\.000\]/,
      );
      assert.throws(
        () => judge.run(randn([2, 64, 64])),
        /judge input must be images \[count, channels, height, width\]/,
      );
      assert.throws(() => judge.run(randn([2, 4, 64, 64]).clamp(-1, 1)), /1 or 3 channels, got 4/);
    });
  });
});

test('the same seed trains the same judge', async () => {
  await withoutLeaks(async () => {
    const dataset = await readDataset(data.dir);
    const quick = { dataset, steps: 3, batchSize: 16, trainLimit: 64, architecture: SMALL };
    const first = await trainJudge({ ...quick, seed: 5 });
    const second = await trainJudge({ ...quick, seed: 5 });
    const third = await trainJudge({ ...quick, seed: 6 });
    const weights = (j: Judge): number[] => j.network.heads.at(0).weight.toFlatArray();
    assert.deepEqual(weights(second.judge), weights(first.judge));
    assert.notDeepEqual(weights(third.judge), weights(first.judge));
    assert.equal(first.judge.info.training.trainSamples, 64);
    for (const result of [first, second, third]) result.judge.dispose();
  });
});

test('judged attributes: every attribute for shapes, the class for fashion-mnist and digits', () => {
  const info = (builder: string, attributes: Record<string, string[]>): DatasetInfo => ({
    format: 1,
    name: builder,
    builder,
    description: '',
    mmgenVersion: '0.1.0',
    seed: 0,
    options: {},
    modalities: {
      image: { width: 28, height: 28, channels: 1, format: 'png' },
      text: { vocabulary: [], maxWords: 0, maxChars: 0 },
    },
    splits: { train: 1, val: 0, test: 1 },
    attributes,
    provenance: { sources: [], licence: '' },
  });
  assert.deepEqual(Object.keys(judgedAttributes(info('shapes', { shape: ['a', 'b'], size: ['s', 'b'] }))), [
    'shape',
    'size',
  ]);
  assert.deepEqual(judgedAttributes(info('fashion-mnist', { class: ['T-shirt/top', 'Trouser'] })), {
    class: ['T-shirt/top', 'Trouser'],
  });
  assert.deepEqual(
    Object.keys(judgedAttributes(info('digits', { digit: ['zero', 'one'], font: ['a', 'b'], voice: ['x', 'y'] }))),
    ['digit'],
  );
  assert.deepEqual(
    Object.keys(judgedAttributes(info('digits', { digit: ['zero', 'one'], font: ['a', 'b'] }), ['font'])),
    ['font'],
  );
  assert.throws(
    () => judgedAttributes(info('shapes', { shape: ['a', 'b'] }), ['colour']),
    /has no attribute "colour"; its attributes are shape/,
  );
  assert.throws(() => judgedAttributes(info('shapes', {})), /has no attributes/);
  // 28×28 grey images go to a 32-px network; 64-px colour keeps full resolution behind a stride-2 stem
  assert.deepEqual(judgeArchitecture(info('fashion-mnist', {})), {
    channels: 1,
    inputSize: 32,
    widths: [16, 32, 64, 128],
    features: 128,
    keypoints: 16,
  });
  const colour = info('shapes', {});
  colour.modalities.image = { width: 64, height: 64, channels: 3, format: 'png' };
  assert.equal(judgeArchitecture(colour).inputSize, 64);
});

test('augmentation mirrors and shifts class images, seeded, and leaves shapes alone', async () => {
  await withoutLeaks(() => {
    assert.deepEqual(judgeAugmentation('shapes'), { flip: false, shift: 0 });
    assert.deepEqual(judgeAugmentation('fashion-mnist'), { flip: true, shift: 2 });
    tidy(() => {
      // one bright pixel per image at (row 3, column 5) of an 8×8 map
      const images = full([6, 1, 8, 8], -1).indexPut(
        [null, null, tensor([3], { dtype: 'int64' }), tensor([5], { dtype: 'int64' })],
        full([1], 1),
      );
      assert.equal(augmentBatch(images, NO_AUGMENTATION, new Random(0)), images, 'no augmentation is the identity');
      const where = (x: Tensor): number[] => x.flatten(1).argmax(1).toFlatArray();
      const flipped = where(augmentBatch(images, { flip: true, shift: 0 }, new Random(1)));
      assert.ok(
        flipped.every((index) => index === 3 * 8 + 5 || index === 3 * 8 + 2),
        `flips mirror columns: ${flipped}`,
      );
      assert.ok(new Set(flipped).size === 2, 'some images are mirrored and some not');
      const shifted = where(augmentBatch(images, { flip: false, shift: 2 }, new Random(2)));
      for (const index of shifted) {
        const [row, column] = [Math.floor(index / 8), index % 8];
        assert.ok(Math.abs(row - 3) <= 2 && Math.abs(column - 5) <= 2, `shift of at most 2 px: (${row}, ${column})`);
      }
      assert.ok(new Set(shifted).size > 1, 'images move by different amounts');
      assert.deepEqual(where(augmentBatch(images, { flip: false, shift: 2 }, new Random(2))), shifted, 'seeded');
    });
  });
});

test('the network has a 128-d feature layer and one head per attribute', async () => {
  await withoutLeaks(() => {
    const network = new JudgeNetwork(
      { channels: 1, inputSize: 32, widths: [8, 8, 16, 16], features: 128, keypoints: 0 },
      [10, 4],
    );
    tidy(() => {
      const { features, logits } = network.forward(randn([2, 1, 32, 32]));
      assert.deepEqual(features.shape, [2, 128]);
      assert.deepEqual(
        logits.map((logit) => logit.shape),
        [
          [2, 10],
          [2, 4],
        ],
      );
      assert.ok(features.min().item() >= 0, 'features come after a ReLU');
    });
    assert.deepEqual(
      network
        .namedParameters()
        .map(([name]) => name)
        .filter((name) => name.startsWith('heads')),
      ['heads.0.weight', 'heads.0.bias', 'heads.1.weight', 'heads.1.bias'],
    );
    network.dispose();
    // with keypoints: their soft-argmax positions join the 4×4 map before the feature layer
    const withKeypoints = new JudgeNetwork(
      { channels: 3, inputSize: 64, widths: [8, 8, 16, 16], features: 32, keypoints: 4 },
      [3],
    );
    tidy(() => {
      const { features, logits } = withKeypoints.forward(randn([2, 3, 64, 64]));
      assert.deepEqual(
        [features.shape, logits[0]!.shape],
        [
          [2, 32],
          [2, 3],
        ],
      );
    });
    const state = withKeypoints.stateDict();
    assert.deepEqual(state.get('keypoint_grid')?.shape, [1024, 2]);
    assert.deepEqual(state.get('embedding.0.weight')?.shape, [32, 16 * 16 + 2 * 4]);
    assert.deepEqual(state.get('keypoints.weight')?.shape, [4, 8, 1, 1]);
    withKeypoints.dispose();
  });
});
