// Strict / Feats / chance (CdSprites+ protocol) on hand-made predictions, and the report files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attributeTargets, scoreAttributes } from '../../src/eval/attributes.js';
import type { ImageMetrics } from '../../src/eval/images.js';
import { metricRows, renderMarkdown, writeReport } from '../../src/eval/report.js';

const close = (actual: number, expected: number, label: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${label}: got ${actual}, expected ${expected}`);

test('Strict, Feats and chance levels on hand-made predictions', () => {
  // 5 images, shape (3 values), colour (5 values), position (4 values)
  const targets = new Map([
    ['shape', [0, 1, 2, 0, 1]],
    ['colour', [4, 4, 0, 1, 2]],
    ['position', [3, 2, 1, 0, 0]],
  ]);
  const predictions = new Map([
    ['shape', [0, 1, 2, 2, 1]], // 4 right (image 3 wrong)
    ['colour', [4, 0, 0, 1, 2]], // 4 right (image 1 wrong)
    ['position', [3, 2, 1, 0, 3]], // 4 right (image 4 wrong)
  ]);
  const scores = scoreAttributes(predictions, targets, { shape: 3, colour: 5, position: 4 });
  assert.equal(scores.images, 5);
  // images 0 and 2 have all three right
  close(scores.strict.value, 2 / 5, 'strict');
  close(scores.strict.chance, (1 / 3) * (1 / 5) * (1 / 4), 'strict chance');
  close(scores.feats.value, 12 / 15, 'feats');
  close(scores.feats.chance, (1 / 3 + 1 / 5 + 1 / 4) / 3, 'feats chance');
  close(scores.feats.perImage, 12 / 5, 'right attributes per image');
  assert.equal(scores.feats.of, 3);
  assert.deepEqual(Object.keys(scores.attributes), ['shape', 'colour', 'position'], 'report order follows valueCounts');
  close(scores.attributes.shape?.accuracy ?? -1, 4 / 5, 'shape accuracy');
  close(scores.attributes.colour?.chance ?? -1, 1 / 5, 'colour chance');
  assert.equal(scores.attributes.position?.correct, 4);
  // each wrong read, by the value asked and the value read
  assert.deepEqual(scores.attributes.shape?.misses, [{ target: 0, predicted: 2, count: 1 }]);
  assert.deepEqual(scores.attributes.colour?.misses, [{ target: 4, predicted: 0, count: 1 }]);
  const repeated = scoreAttributes(new Map([['shape', [1, 1, -1, 1, 2]]]), new Map([['shape', [0, 0, 0, 2, 2]]]), {
    shape: 3,
  });
  assert.deepEqual(
    repeated.attributes.shape?.misses,
    [
      { target: 0, predicted: 1, count: 2 },
      { target: 0, predicted: -1, count: 1 },
      { target: 2, predicted: 1, count: 1 },
    ],
    'commonest first, then by the value asked and the value read (-1: none read)',
  );
});

test('a perfect and a hopeless generator score 1 and 0', () => {
  const targets = new Map([['class', [0, 1, 2, 3]]]);
  const perfect = scoreAttributes(new Map([['class', [0, 1, 2, 3]]]), targets, { class: 10 });
  assert.equal(perfect.strict.value, 1);
  assert.equal(perfect.feats.value, 1);
  close(perfect.strict.chance, 0.1, 'single attribute: strict chance is 1/|values|');
  const hopeless = scoreAttributes(new Map([['class', [1, 2, 3, 0]]]), targets, { class: 10 });
  assert.equal(hopeless.strict.value, 0);
  assert.equal(hopeless.feats.value, 0);
});

test('scoreAttributes rejects inconsistent inputs with clear errors', () => {
  const targets = new Map([['shape', [0, 1]]]);
  assert.throws(() => scoreAttributes(new Map(), targets, { shape: 3 }), /no predictions for attribute "shape"/);
  assert.throws(() => scoreAttributes(new Map([['shape', [0]]]), targets, { shape: 3 }), /1 predictions but 2 targets/);
  assert.throws(
    () => scoreAttributes(new Map([['shape', [0, 1]]]), new Map([['shape', [0, 3]]]), { shape: 3 }),
    /target 3 of image 1 is not a value index in \[0, 3\)/,
  );
  assert.throws(() => scoreAttributes(new Map(), new Map(), {}), /at least one attribute/);
});

test('attributeTargets maps attribute records to value indices', () => {
  const attributes = { shape: ['square', 'ellipse', 'heart'], colour: ['red', 'blue'] };
  const targets = attributeTargets(
    [
      { shape: 'heart', colour: 'red' },
      { shape: 'square', colour: 'blue', size: 'big' },
    ],
    attributes,
  );
  assert.deepEqual([...(targets.get('shape') ?? [])], [2, 0]);
  assert.deepEqual([...(targets.get('colour') ?? [])], [0, 1]);
  assert.throws(
    () => attributeTargets([{ shape: 'star', colour: 'red' }], attributes),
    /image 0 has shape "star", which the judge does not know \(values: square, ellipse, heart\)/,
  );
  assert.throws(() => attributeTargets([{ shape: 'heart' }], attributes), /image 0 has no "colour" attribute/);
});

function sampleMetrics(): ImageMetrics {
  const scores = scoreAttributes(
    new Map([
      ['shape', [0, 1, 2, 2]],
      ['colour', [0, 0, 1, 1]],
    ]),
    new Map([
      ['shape', [0, 1, 2, 0]],
      ['colour', [0, 1, 1, 1]],
    ]),
    { shape: 3, colour: 2 },
  );
  return {
    images: 4,
    dataset: { dir: '/data/shapes', name: 'shapes', builder: 'shapes', options: { level: 3 } },
    judge: {
      attributes: { shape: ['square', 'ellipse', 'heart'], colour: ['red', 'blue'] },
      accuracy: { shape: 0.995, colour: 0.97 },
      trusted: { shape: true, colour: false },
      threshold: 0.99,
      evaluatedOn: '30 real test images',
    },
    attributeScores: scores,
    distribution: {
      fid: 12.5,
      fidRealFloor: 0.75,
      fidRealFloorSplits: [0.7, 0.8],
      kid: { mean: 0.0123, std: 0.001, subsets: 100, subsetSize: 4 },
      kidRealFloor: { mean: 0.0002, std: 0.0001, subsets: 100, subsetSize: 2 },
      realSplit: 'test',
      realImages: 30,
      floorImages: [15, 15],
      featureDim: 128,
    },
    warnings: ['judge head "colour" reached only 97.0 %'],
  };
}

test('metric rows carry values beside chance levels and real-vs-real floors', () => {
  const rows = metricRows(sampleMetrics());
  const find = (prefix: string) => rows.find((row) => row.metric.trim().startsWith(prefix));
  assert.deepEqual(find('Strict'), {
    metric: 'Strict (all 2 attributes right) (untrusted judge)',
    value: '50.0 %',
    reference: 'chance 16.7 %',
  });
  assert.equal(find('Feats')?.value, '75.0 % (1.50 of 2)');
  assert.equal(find('Feats')?.reference, 'chance 41.7 %');
  assert.equal(find('colour')?.metric.trim(), 'colour (untrusted judge)');
  assert.equal(find('shape')?.value, '75.0 %');
  assert.equal(find('FID')?.value, '12.500');
  assert.equal(find('FID')?.reference, 'real vs real 0.750');
  assert.equal(find('KID')?.value, '12.300 ± 1.000');
});

test('writeReport writes eval.json and eval.md through temporary names', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmgen-report-'));
  try {
    await writeFile(join(dir, 'eval.json'), 'x'.repeat(100000));
    const metrics = sampleMetrics();
    const paths = await writeReport(dir, metrics, {
      run: { dir: 'runs/a', recipe: 'text2image-gan' },
      protocol: {
        captions: 2,
        imagesPerCaption: 2,
        seed: 0,
        batchSize: 100,
        split: 'test',
        availableCaptions: 30,
        distinctCaptions: 1,
        imagesPerDistinctCaption: [4, 4] as [number, number],
      },
    });
    assert.deepEqual((await readdir(dir)).sort(), ['eval.json', 'eval.md'], 'no temporary files left behind');
    const document = JSON.parse(await readFile(paths.json, 'utf8')) as {
      metrics: ImageMetrics;
      run: { recipe: string };
      mmgenVersion: string;
    };
    assert.deepEqual(document.metrics, metrics, 'the old, longer eval.json was replaced, not patched');
    assert.equal(document.run.recipe, 'text2image-gan');
    assert.match(document.mmgenVersion, /^\d+\.\d+\.\d+/);
    const markdown = await readFile(paths.markdown, 'utf8');
    assert.equal(
      markdown,
      renderMarkdown(metrics, {
        run: { dir: 'runs/a', recipe: 'text2image-gan' },
        protocol: {
          captions: 2,
          imagesPerCaption: 2,
          seed: 0,
          batchSize: 100,
          split: 'test',
          availableCaptions: 30,
          distinctCaptions: 1,
          imagesPerDistinctCaption: [4, 4] as [number, number],
        },
      }),
    );
    assert.match(markdown, /^# Evaluation: shapes level 3$/m);
    assert.match(markdown, /\| Strict \(all 2 attributes right\) \(untrusted judge\) \| 50\.0 % \| chance 16\.7 % \|/);
    assert.match(markdown, /\| FID \(judge features, vs 30 real test images\) \| 12\.500 \| real vs real 0\.750 \|/);
    assert.match(markdown, /: 2 test samples drawn \(1 distinct caption\) × 2 images: 4 images per caption; seed 0\./);
    assert.match(
      markdown,
      /\| KID ×10³ \(mean ± std over 100 subsets\) \| 12\.300 ± 1\.000 \| real vs real 0\.200 ± 0\.100 \|/,
    );
    assert.match(markdown, /KID is the unbiased estimate .* can fall below zero/);
    assert.match(markdown, /- judge head "colour" reached only 97\.0 %/);
    await assert.rejects(writeReport(join(dir, 'missing'), metrics), /ENOENT/);
    assert.deepEqual((await readdir(dir)).sort(), ['eval.json', 'eval.md'], 'a failed write leaves nothing');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
