// The joint protocol's arithmetic with reference translators over real shapes: one that answers with the
// source sample's own caption scores 100 % Strict, one that answers with another sample's caption scores
// near chance; every subset of the other modalities is a source; unjudgeable targets are not asked for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { type ManifestEntry, readDataset } from '../../src/data/format.js';
import { captionedAttributes } from '../../src/eval/image-to-text.js';
import { type JointModality, evaluateJoint, sourceSubsets } from '../../src/eval/joint.js';
import { jointReportLines, missLines } from '../../src/eval/joint-report.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-joint-eval-'));
test.after(async () => rm(root, { recursive: true, force: true }));

/**
 * An image+text "run" whose every caption is the test caption `offset` rows on (0: the truth); it records
 * the targets it is asked for.
 */
function captionTranslator(entries: readonly ManifestEntry[], offset: number, asked: JointModality[][]) {
  return {
    names: ['image', 'text'] as JointModality[],
    translate: async (rows: readonly number[], _from: readonly JointModality[], to: readonly JointModality[]) => {
      asked.push([...to]);
      return { text: rows.map((row) => entries[(row + offset) % entries.length]?.text ?? '') };
    },
    sample: async () => ({}),
  };
}

test('every non-empty subset is a source, smallest first', () => {
  assert.deepEqual(sourceSubsets(['image', 'text']), [['image'], ['text'], ['image', 'text']]);
  assert.equal(sourceSubsets(['image', 'text', 'audio']).length, 7);
});

test('a translator that reads the truth scores 100 %, one that reads another sample scores near chance', async () => {
  const out = join(root, 'shapes');
  await buildDataset({ builder: 'shapes', out, seed: 1, options: { level: 3, count: 400 } });
  const dataset = await readDataset(out);
  const entries = dataset.entries.filter((entry) => entry.split === 'test');
  const attributes = captionedAttributes(dataset, entries);
  assert.ok(attributes, 'shapes captions name their attributes');
  const asked: JointModality[][] = [];
  const translator = (offset: number) => captionTranslator(entries, offset, asked);
  const truthful = await evaluateJoint({
    model: translator(0),
    readers: {},
    entries,
    attributes,
    rows: 40,
    batchSize: 16,
  });
  const toText = truthful.directions.find((direction) => direction.to === 'text');
  assert.deepEqual(toText?.from, ['image']);
  assert.equal(toText?.scores?.strict.value, 1);
  assert.equal(toText?.scores?.feats.value, 1);
  // images are not judged without a judge: never asked for, reported without scores, and said why
  assert.ok(asked.every((targets) => !targets.includes('image')));
  assert.equal(truthful.directions.find((direction) => direction.to === 'image')?.scores, undefined);
  assert.match(truthful.notes.join(' '), /train the judge/);
  const shuffled = await evaluateJoint({
    model: translator(7),
    readers: {},
    entries,
    attributes,
    rows: 40,
    batchSize: 16,
  });
  const wrong = shuffled.directions.find((direction) => direction.to === 'text')?.scores;
  assert.ok((wrong?.strict.value ?? 1) < 0.3, `another sample's caption is rarely right: ${wrong?.strict.value}`);
  const lines = jointReportLines(truthful, {
    run: 'r',
    recipe: 'joint-vae',
    dataset: { name: 'shapes', builder: 'shapes', level: 3 },
    temperature: 1,
    seconds: 1,
  });
  assert.ok(
    lines.some((line) => line.startsWith('| I→T | 100.0 %')),
    lines.join('\n'),
  );
  // the ceiling rows: text from itself (a reconstruction), here read back exactly
  assert.deepEqual(
    truthful.reconstructions?.map((direction) => [direction.from, direction.to, direction.scores?.strict.value]),
    [[['text'], 'text', 1]],
  );
  assert.ok(lines.some((line) => line.startsWith('| T→T | 100.0 %')));
  assert.equal(shuffled.reconstructions?.[0]?.scores?.strict.value, wrong?.strict.value);
  assert.ok(
    lines.some((line) => line.includes('published best | 8 % | 59 % | 1 %')),
    'the level-3 leaderboard row',
  );
  // a reader of the truth misses nothing, so the report names no misses
  assert.ok(!lines.some((line) => line.startsWith('Commonest misses')), lines.join('\n'));
  // another sample's captions miss: the report names the commonest, as the scores count them
  const missed = missLines(shuffled);
  const counted = Object.entries(wrong?.attributes ?? {})
    .flatMap(([name, accuracy]) => accuracy.misses.map((miss) => ({ name, ...miss })))
    .sort((a, b) => b.count - a.count)[0];
  assert.ok(counted, 'the shuffled reader has misses');
  const values = attributes[counted.name] ?? [];
  const wrongRows = Object.values(wrong?.attributes ?? {}).reduce((sum, accuracy) => sum + 40 - accuracy.correct, 0);
  const missTotal = Object.values(wrong?.attributes ?? {}).reduce(
    (sum, accuracy) => sum + accuracy.misses.reduce((rows, miss) => rows + miss.count, 0),
    0,
  );
  assert.equal(missTotal, wrongRows, 'every wrong read is counted once among the misses');
  const toTextLine = missed.find((line) => line.startsWith('- I→T: '));
  assert.ok(
    toTextLine?.startsWith(
      `- I→T: ${counted.name} ${values[counted.target]} → ${values[counted.predicted] ?? 'none'} ${counted.count}`,
    ),
    missed.join('\n'),
  );
});

test('the codec ceiling reads the real clips of the test rows through the codec, scored like any direction', async () => {
  const out = join(root, 'shapes-codec');
  await buildDataset({ builder: 'shapes', out, seed: 2, options: { level: 3, count: 300 } });
  const dataset = await readDataset(out);
  const entries = dataset.entries.filter((entry) => entry.split === 'test');
  const attributes = captionedAttributes(dataset, entries);
  assert.ok(attributes);
  // each "clip" carries its row; a reader that hears the row's caption (or every other row's, wrongly)
  const evaluation = await evaluateJoint({
    model: {
      names: ['text', 'audio'],
      translate: async (rows) => ({ text: rows.map((row) => entries[row]?.text ?? '') }),
      sample: async () => ({}),
      codecRoundTrip: async (rows) => rows.map((row) => Float32Array.of(row)),
    },
    readers: {
      audio: {
        name: 'rows',
        read: async (clips) =>
          clips.map((clip) => {
            const row = clip[0] ?? 0;
            return entries[row % 2 === 0 ? row : (row + 1) % entries.length]?.text ?? '';
          }),
      },
    },
    entries,
    attributes,
    rows: 30,
    batchSize: 8,
  });
  const strict = evaluation.codec?.strict.value ?? 0;
  assert.ok(strict >= 0.5 && strict < 0.8, `half the rows heard right, the rest by chance: ${strict}`);
});

test('emoji: no caption names an attribute, so captions are scored against their references and nothing else', async () => {
  const out = join(root, 'emoji');
  await buildDataset({ builder: 'emoji', out, seed: 3, options: { count: 200 } });
  const dataset = await readDataset(out);
  const entries = dataset.entries.filter((entry) => entry.split === 'test');
  assert.equal(captionedAttributes(dataset, entries), undefined);
  const asked: JointModality[][] = [];
  const translator = (offset: number) => captionTranslator(entries, offset, asked);
  const evaluate = (offset: number) =>
    evaluateJoint({ model: translator(offset), readers: {}, entries, attributes: {}, rows: 20, batchSize: 8 });
  const truthful = await evaluate(0);
  const shuffled = await evaluate(5);
  const captions = (evaluation: typeof truthful) =>
    evaluation.directions.find((direction) => direction.to === 'text')?.captions;
  assert.ok((captions(truthful)?.bleu4 ?? 0) > 0.99, `the reference itself: ${captions(truthful)?.bleu4}`);
  assert.ok((captions(shuffled)?.ciderD ?? 1) < 0.5 * (captions(truthful)?.ciderD ?? 0));
  assert.equal(truthful.joint, undefined);
  assert.ok(truthful.directions.every((direction) => direction.scores === undefined));
  assert.ok(
    asked.every((targets) => targets.length === 1 && targets[0] === 'text'),
    'pictures are never made',
  );
  assert.match(truthful.notes.join(' '), /name no attribute/);
  const lines = jointReportLines(truthful, {
    run: 'r',
    recipe: 'joint-diffusion',
    dataset: { name: 'emoji', builder: 'emoji' },
    temperature: 1,
    seconds: 1,
  });
  assert.ok(
    lines.some((line) => line.startsWith('| I→T | 1.000 |')),
    lines.join('\n'),
  );
  assert.ok(!lines.some((line) => line.includes('Strict')));
});
