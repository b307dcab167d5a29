// evaluateImages and the text→image protocol on a tiny shapes build, with a quickly trained judge:
// real images score as the judge's own held-out accuracy, a generator that copies real images of the
// caption beats one that draws noise, and everything is seeded and leak-free.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Tensor, memory, rand, tensor, tidy, Generator } from '../../src/tensor/index.js';
import { type Dataset, readDataset } from '../../src/data/format.js';
import { type LoadedSplit, loadSplit } from '../../src/data/loader.js';
import { Random } from '../../src/data/random.js';
import { Judge, JudgeNetwork } from '../../src/models/judge.js';
import { trainJudge } from '../../src/models/judge-train.js';
import {
  chooseCaptions,
  drawnSentence,
  evaluateImages,
  evaluateTextToImage,
  type TextToImageGenerator,
  writeReport,
} from '../../src/eval/index.js';
import { type TinyDataset, tinyShapes, withoutLeaks } from './helpers.js';

let data: TinyDataset;
let dataset: Dataset;
let judge: Judge;
let train: LoadedSplit;
let testSplit: LoadedSplit;
let tensorsBefore = 0;

before(async () => {
  tensorsBefore = memory().tensors;
  data = await tinyShapes({ level: 3, count: 600 });
  dataset = await readDataset(data.dir);
  // a narrow network and a short fit: colour and size are learnt, shape only partly
  judge = (
    await trainJudge({
      dataset,
      steps: 100,
      batchSize: 32,
      learningRate: 3e-3,
      seed: 2,
      architecture: { widths: [8, 16, 32, 32], features: 64 },
    })
  ).judge;
  train = await loadSplit(dataset, { split: 'train', images: 'uint8', audio: false });
  testSplit = await loadSplit(dataset, { split: 'test', audio: false });
});

after(async () => {
  judge.dispose();
  train.dispose();
  testSplit.dispose();
  await data.cleanup();
  assert.equal(memory().tensors, tensorsBefore, 'fixtures leaked tensors');
});

/** Draws, for each caption, a training image with exactly that caption (seeded). */
function copyGenerator(calls: { texts: string[]; seed: number }[]): TextToImageGenerator {
  const rows = new Map<string, number[]>();
  train.entries.forEach((entry, row) => rows.set(entry.text, [...(rows.get(entry.text) ?? []), row]));
  return {
    generate: async (texts, { seed }) => {
      calls.push({ texts, seed });
      const random = new Random(seed);
      const picked = texts.map((text) => random.pick(rows.get(text) ?? []));
      return tidy(() =>
        train
          .images!.indexSelect(0, tensor(picked, { dtype: 'int64' }))
          .float()
          .div(127.5)
          .sub(1),
      );
    },
  };
}

function noiseGenerator(): TextToImageGenerator {
  return {
    generate: async (texts, { seed }) => {
      const generator = new Generator(seed);
      try {
        return tidy(() => rand([texts.length, 3, 64, 64], { generator }).mul(2).sub(1));
      } finally {
        generator.dispose();
      }
    },
  };
}

test('real test images score exactly the judge held-out accuracy, and FID against themselves is 0', async () => {
  await withoutLeaks(async () => {
    const records = testSplit.entries.map((entry) => entry.attributes as Record<string, string>);
    const metrics = await evaluateImages({
      judge,
      dataset,
      images: testSplit.images!,
      attributes: records,
      kidSubsets: 20,
    });
    const scores = metrics.attributeScores!;
    for (const name of judge.attributeNames)
      assert.equal(scores.attributes[name]?.accuracy, judge.info.accuracy[name], name);
    // Strict by hand from the judge's own predictions
    const { predictions } = judge.run(testSplit.images!);
    let allRight = 0;
    records.forEach((record, row) => {
      if (
        judge.attributeNames.every(
          (name) => judge.info.attributes[name]?.[predictions.get(name)![row]!] === record[name],
        )
      )
        allRight++;
    });
    assert.equal(scores.strict.value, allRight / records.length);
    assert.equal(scores.strict.chance, 1 / 30);
    const distribution = metrics.distribution!;
    assert.ok(distribution.fid < 1e-6, `FID of the real split against itself: ${distribution.fid}`);
    assert.ok(distribution.fidRealFloor > 0, 'two different halves are not identical');
    // the floor is the mean over five seeded splits, which differ
    assert.equal(distribution.fidRealFloorSplits.length, 5);
    assert.ok(
      Math.abs(distribution.fidRealFloor - distribution.fidRealFloorSplits.reduce((sum, value) => sum + value, 0) / 5) <
        1e-9,
    );
    assert.equal(new Set(distribution.fidRealFloorSplits).size, 5);
    assert.deepEqual([distribution.realSplit, distribution.realImages, distribution.featureDim], ['test', 60, 64]);
    assert.deepEqual(distribution.floorImages, [30, 30], 'as many real images as generated, at most half the split');
    // 20 generated images: the floor compares 20 real ones with the other 40
    const few = tidy(() => testSplit.images!.narrow(0, 0, 20));
    const small = await evaluateImages({ judge, dataset, images: few, kidSubsets: 5 });
    few.dispose();
    assert.deepEqual(small.distribution!.floorImages, [20, 40]);
    assert.equal(
      metrics.warnings.filter((warning) => warning.startsWith('judge head')).length,
      judge.untrusted().length,
    );
    assert.ok(metrics.warnings.some((warning) => /FID\/KID on 60 images are noisy/.test(warning)));
    assert.equal(metrics.classAccuracy, undefined, 'three attributes: Strict/Feats, not class accuracy');
  });
});

test('labels score a single-attribute judge as class accuracy', async () => {
  await withoutLeaks(async () => {
    const colours = judge.info.attributes.colour as string[];
    const network = new JudgeNetwork(judge.info.architecture, [colours.length]);
    const single = new Judge(network, {
      ...judge.info,
      attributes: { colour: colours },
      accuracy: { colour: 0.95 },
      trusted: { colour: false },
    });
    try {
      const labels = testSplit.labels.get('colour')!;
      const metrics = await evaluateImages({
        judge: single,
        dataset,
        images: testSplit.images!,
        labels,
        distribution: false,
      });
      const predicted = single.run(testSplit.images!).predictions.get('colour')!;
      const truth = labels.toFlatArray();
      const expected = truth.filter((label, row) => predicted[row] === label).length / truth.length;
      assert.deepEqual(metrics.classAccuracy, { attribute: 'colour', value: expected, chance: 0.2 });
      assert.equal(metrics.distribution, undefined);
      const asArray = await evaluateImages({
        judge: single,
        dataset,
        images: testSplit.images!,
        labels: truth,
        distribution: false,
      });
      assert.deepEqual(asArray.classAccuracy, metrics.classAccuracy);
      await assert.rejects(
        evaluateImages({ judge, dataset, images: testSplit.images!, labels: truth }),
        /labels fit single-attribute judges/,
      );
      await assert.rejects(
        evaluateImages({ judge: single, dataset, images: testSplit.images!, labels: truth.slice(1) }),
        /60 images but 59 targets/,
      );
    } finally {
      single.dispose();
    }
  });
});

test('the protocol draws seeded captions, calls the generator in batches, and ranks copies above noise', async () => {
  await withoutLeaks(async () => {
    const calls: { texts: string[]; seed: number }[] = [];
    const protocol = { captions: 25, imagesPerCaption: 4, seed: 3, batchSize: 40, kidSubsets: 20 };
    const copies = await evaluateTextToImage({ generator: copyGenerator(calls), judge, dataset, ...protocol });
    // 100 judged images (25 captions × 4), then FID/KID's 100: all 60 test captions once, then 40 of them again
    assert.deepEqual(
      calls.map((call) => call.texts.length),
      [40, 40, 20, 40, 40, 20],
    );
    assert.deepEqual(
      calls.map((call) => call.seed),
      [3, 4, 5, 3 + 1_000_003, 4 + 1_000_003, 5 + 1_000_003],
    );
    const texts = calls.slice(0, 3).flatMap((call) => call.texts);
    const testEntries = dataset.entries.filter((entry) => entry.split === 'test');
    const chosen = chooseCaptions(testEntries, 25, 3);
    assert.deepEqual(
      texts,
      chosen.flatMap((entry) => [entry.text, entry.text, entry.text, entry.text]),
    );
    assert.equal(new Set(chosen.map((entry) => entry.id)).size, 25, 'captions are drawn without replacement');
    const distributionTexts = calls.slice(3).flatMap((call) => call.texts);
    const allTest = chooseCaptions(testEntries, 100, 3).map((entry) => entry.text);
    assert.deepEqual(distributionTexts, [...allTest, ...allTest.slice(0, 40)]);
    assert.deepEqual(
      distributionTexts.slice(0, 25),
      chosen.map((entry) => entry.text),
      'the judged captions come first',
    );
    // 25 test samples are drawn; their captions are counted apart, since two samples can share one
    const perCaption = new Map<string, number>();
    for (const entry of chosen) perCaption.set(entry.text, (perCaption.get(entry.text) ?? 0) + 4);
    assert.ok(perCaption.size < 25, 'this test split repeats captions, so the two counts differ');
    assert.deepEqual(copies.protocol, {
      captions: 25,
      imagesPerCaption: 4,
      seed: 3,
      batchSize: 40,
      split: 'test',
      availableCaptions: 60,
      distinctCaptions: perCaption.size,
      imagesPerDistinctCaption: [Math.min(...perCaption.values()), Math.max(...perCaption.values())],
      distributionCaptions: 60,
      distributionDistinctCaptions: new Set(testEntries.map((entry) => entry.text)).size,
    });
    assert.match(
      drawnSentence(copies.protocol),
      new RegExp(
        `^25 test samples drawn \\(${perCaption.size} distinct captions\\) × 4 images: \\d+(–\\d+)? images per caption$`,
      ),
    );
    assert.deepEqual(
      copies.metrics.distribution?.floorImages,
      [30, 30],
      'the floor at the FID set size, at most half the split',
    );
    assert.equal(copies.metrics.images, 100);
    assert.equal(copies.examples.length, 8);
    assert.equal(copies.examples[0]?.text, chosen[0]?.text);

    const noise = await evaluateTextToImage({ generator: noiseGenerator(), judge, dataset, ...protocol });
    const copyScores = copies.metrics.attributeScores!;
    const noiseScores = noise.metrics.attributeScores!;
    assert.ok(
      copyScores.feats.value > noiseScores.feats.value + 0.15,
      `Feats: copies ${copyScores.feats.value}, noise ${noiseScores.feats.value}`,
    );
    assert.ok(
      copyScores.attributes.colour!.accuracy > 0.5,
      `colour of copies ${copyScores.attributes.colour!.accuracy}`,
    );
    const copyFid = copies.metrics.distribution!.fid;
    const noiseFid = noise.metrics.distribution!.fid;
    assert.ok(noiseFid > 5 * copyFid, `FID: copies ${copyFid}, noise ${noiseFid}`);
    assert.ok(noise.metrics.distribution!.kid.mean > copies.metrics.distribution!.kid.mean);

    const again = await evaluateTextToImage({ generator: copyGenerator([]), judge, dataset, ...protocol });
    assert.deepEqual(again.metrics, copies.metrics, 'same seed, same evaluation');

    // a second opinion: a reader that repeats each prompt names everything right; one fixed caption only its own
    const prompts = [...texts];
    const echo = { name: 'echo', read: (images: Tensor) => prompts.splice(0, images.shape[0] ?? 0) };
    const echoed = await evaluateTextToImage({
      generator: copyGenerator([]),
      judge,
      dataset,
      ...protocol,
      reader: echo,
    });
    assert.equal(echoed.secondOpinion?.strict, 1);
    const fixed = chosen[0]!;
    const constant = await evaluateTextToImage({
      generator: copyGenerator([]),
      judge,
      dataset,
      ...protocol,
      reader: { name: 'constant', read: (images: Tensor) => new Array<string>(images.shape[0] ?? 0).fill(fixed.text) },
    });
    const sameAttributes = chosen.filter((entry) =>
      judge.attributeNames.every((name) => entry.attributes?.[name] === fixed.attributes?.[name]),
    ).length;
    assert.equal(constant.secondOpinion?.strict, sameAttributes / 25);
    const sameShape = chosen.filter((entry) => entry.attributes?.shape === fixed.attributes?.shape).length;
    assert.equal(constant.secondOpinion?.perAttribute.shape, sameShape / 25);

    await writeReport(data.root, copies.metrics, {
      protocol: copies.protocol,
      examples: copies.examples,
      secondOpinion: echoed.secondOpinion!,
    });
    const markdown = await readFile(join(data.root, 'eval.md'), 'utf8');
    assert.ok(
      markdown.includes(
        `100 images from the given images: ${drawnSentence(copies.protocol)}; seed 3. FID/KID: 100 more images from 60 test samples`,
      ),
      markdown,
    );
    assert.match(markdown, /\| Strict \(all 3 attributes right\).* \| chance 3\.3 % \|/);
    assert.match(
      markdown,
      /Second opinion: captioner `echo` read the same 100 images; its captions name every attribute right for 100\.0 %/,
    );
  });
});

test('captions with words the generator never saw: those words are left out of its prompts and reported', async () => {
  await withoutLeaks(async () => {
    // a generator that does not know colour words: it gets the rest of each caption, and eval says so
    const colours = new Set(judge.info.attributes.colour ?? []);
    const calls: string[][] = [];
    const noise = noiseGenerator();
    const colourBlind: TextToImageGenerator = {
      generate: async (texts, options) => {
        calls.push(texts);
        return noise.generate(texts, options);
      },
      promptFor: (caption) => {
        const words = caption.split(' ');
        return {
          prompt: words.filter((word) => !colours.has(word)).join(' '),
          unknown: words.filter((word) => colours.has(word)),
        };
      },
    };
    const result = await evaluateTextToImage({
      generator: colourBlind,
      judge,
      dataset,
      captions: 10,
      imagesPerCaption: 2,
      seed: 1,
      kidSubsets: 5,
    });
    const prompts = calls.flat();
    assert.equal(prompts.length, 40, '20 judged images and 20 for FID/KID, one per caption');
    assert.ok(
      prompts.every((prompt) => prompt !== '' && prompt.split(' ').every((word) => !colours.has(word))),
      prompts.join('; '),
    );
    // every level-3 caption names a colour
    assert.equal(result.protocol.unknownWords?.captions, 10);
    assert.equal(result.examples[0]?.prompt, prompts[0]);
    assert.notEqual(result.examples[0]?.text, result.examples[0]?.prompt);

    // an evaluation that keeps all words but reports an unknown one
    const shy: TextToImageGenerator = {
      ...copyGenerator([]),
      promptFor: (caption) => ({ prompt: caption, unknown: caption.includes('red') ? ['red'] : [] }),
    };
    const reported = await evaluateTextToImage({
      generator: shy,
      judge,
      dataset,
      captions: 25,
      imagesPerCaption: 1,
      seed: 3,
      kidSubsets: 5,
    });
    const chosen = chooseCaptions(
      dataset.entries.filter((entry) => entry.split === 'test'),
      25,
      3,
    );
    const reds = chosen.filter((entry) => entry.text.includes('red')).length;
    assert.ok(reds > 0, 'the seeded draw has red captions');
    assert.deepEqual(reported.protocol.unknownWords, { captions: reds, skipped: 0, words: ['red'] });
    await writeReport(data.root, reported.metrics, { protocol: reported.protocol, examples: reported.examples });
    assert.match(
      await readFile(join(data.root, 'eval.md'), 'utf8'),
      new RegExp(`${reds} of the drawn captions have words the model never saw in training \\(red\\)`),
    );

    // captions with no known word are not drawn at all; with none left, a clear error
    const knowsNothing: TextToImageGenerator = {
      ...copyGenerator([]),
      promptFor: (caption) => ({ prompt: '', unknown: caption.split(' ') }),
    };
    await assert.rejects(
      evaluateTextToImage({ generator: knowsNothing, judge, dataset, captions: 5 }),
      /none of the test captions has a word the generator knows/,
    );
  });
});

test('bad generators and mismatched judges get clear errors', async () => {
  await withoutLeaks(async () => {
    const wrongCount: TextToImageGenerator = { generate: async (texts) => rand([texts.length - 1, 3, 64, 64]) };
    await assert.rejects(
      evaluateTextToImage({ generator: wrongCount, judge, dataset, captions: 2, imagesPerCaption: 2 }),
      /the generator returned \[3, 3, 64, 64\] for 4 captions/,
    );
    const other = await tinyShapes({ level: 2, count: 60 });
    try {
      await assert.rejects(
        evaluateImages({ judge, dataset: other.dir, images: testSplit.images! }),
        /the judge was trained on shapes .* whose "colour" differs from .*mmgen eval train-judge/,
      );
    } finally {
      await other.cleanup();
    }
    const tooBright: Tensor = tidy(() => rand([2, 3, 64, 64]).mul(255));
    await assert.rejects(evaluateImages({ judge, dataset, images: tooBright }), /float images in \[-1, 1\]/);
    tooBright.dispose();
  });
});
