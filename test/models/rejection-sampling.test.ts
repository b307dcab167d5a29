// Discriminator rejection sampling: the threshold is the wanted quantile of generated scores, rejected draws
// are drawn again until they pass, passing draws are left alone, batches are scored in whole groups, the same
// seed gives the same images, and nothing leaks. Then on a real tiny GAN run: loading calibrates it, 0 turns
// it off, a run whose dataset is gone still generates (with a notice), and the CLI checks --rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '../../src/modalities/text/index.js';
import { type RealnessCritic, calibrateRejection, generateWithRejection } from '../../src/models/rejection-sampling.js';
import { generateFromPrompts } from '../../src/models/text-to-image.js';
import { loadTextToImageRun } from '../../src/models/text-to-image-recipes.js';
import { trainTinyGanRun } from './tiny-gan-run.js';
import { type Tensor, memory, tidy } from '../../src/tensor/index.js';
import { Module } from '../../src/nn/index.js';

const tokenizer = Tokenizer.fromCorpus(['red heart', 'blue star', 'green moon'], { level: 'word' });

/** Draws a 1×2×2 image filled with the noise's first value; the critic's score is that value. */
class NoiseDrawer extends Module {
  forward(_tokens: Tensor, _lengths: Tensor, noise: Tensor): Tensor {
    return tidy(() => noise.narrow(1, 0, 1).reshape(-1, 1, 1, 1).expand(-1, 1, 2, 2).contiguous());
  }
}

function fakeCritic(group: number, scored: number[]): RealnessCritic {
  const drawer = new NoiseDrawer();
  return {
    tokenizer,
    latentDim: 3,
    group,
    draw: (text, noise) => drawer.forward(text.tokens, text.lengths, noise),
    score: (images) => {
      scored.push(images.shape[0] ?? 0);
      return images.mean([1, 2, 3]);
    },
  };
}

test('rejection: the threshold is the wanted quantile, rejected draws are redrawn, passing ones kept, whole groups scored', () => {
  const before = memory().tensors;
  const scored: number[] = [];
  const critic = fakeCritic(4, scored);
  const threshold = calibrateRejection(critic, ['red heart', 'blue star', 'purple moon'], {
    fraction: 0.3,
    rounds: 12,
    calibrationImages: 2000,
  });
  // the 30 % quantile of a standard normal is −0.524
  assert.ok(Math.abs(threshold.score + 0.524) < 0.08, `threshold ${threshold.score}`);
  assert.equal(threshold.images, 2000);
  const texts = ['red heart', 'blue star', 'green moon', 'red star', 'blue heart', 'green heart', 'red moon'];
  scored.length = 0;
  const images = generateWithRejection(critic, texts, 9, threshold);
  assert.deepEqual(images.shape, [7, 1, 2, 2]);
  assert.ok(
    scored.every((size) => size % 4 === 0),
    `every scored batch is whole groups: ${scored.join(', ')}`,
  );
  assert.ok(scored.length > 1, 'some draws were redrawn');
  const values = tidy(() => images.mean([1, 2, 3]).toFlatArray() as number[]);
  assert.ok(
    values.every((value) => value >= threshold.score),
    `all pass: ${values.map((v) => v.toFixed(2)).join(', ')}`,
  );
  // a first draw that passed is the plain draw of the same seed
  const plain = generateFromPrompts(new NoiseDrawer(), tokenizer, texts, 9, 3);
  const plainValues = tidy(() => plain.mean([1, 2, 3]).toFlatArray() as number[]);
  const passedFirst = plainValues.flatMap((value, index) => (value >= threshold.score ? [index] : []));
  assert.ok(passedFirst.length > 0 && passedFirst.length < texts.length);
  for (const index of passedFirst) assert.equal(values[index], plainValues[index]);
  for (const index of plainValues.keys())
    if (!passedFirst.includes(index)) assert.notEqual(values[index], plainValues[index]);
  const again = generateWithRejection(critic, texts, 9, threshold);
  assert.deepEqual(again.toFlatArray(), images.toFlatArray(), 'same seed, same images');
  for (const tensor of [images, plain, again]) tensor.dispose();
  assert.throws(
    () => calibrateRejection(critic, ['purple'], { fraction: 0.1, rounds: 1, calibrationImages: 10 }),
    /no training caption has a word the model knows/,
  );
  assert.throws(
    () => calibrateRejection(critic, ['red'], { fraction: 1, rounds: 1, calibrationImages: 10 }),
    /in \(0, 1\)/,
  );
  assert.equal(memory().tensors, before);
});

test('rejection: after its rounds an image keeps its best-scored draw', () => {
  const calls: number[][] = [];
  const critic = fakeCritic(1, []);
  const recording: RealnessCritic = {
    ...critic,
    score: (images, text) => {
      const scores = critic.score(images, text);
      calls.push(scores.toFlatArray() as number[]);
      return scores;
    },
  };
  // nothing passes a threshold of +10, so each image is the best of its 1 + 3 draws
  const images = generateWithRejection(recording, ['red heart', 'blue star'], 4, {
    score: 10,
    fraction: 0.5,
    rounds: 3,
    images: 1,
  });
  const values = tidy(() => images.mean([1, 2, 3]).toFlatArray() as number[]);
  images.dispose();
  assert.equal(calls.length, 4);
  for (const image of [0, 1]) assert.equal(values[image], Math.max(...calls.map((scores) => scores[image] as number)));
});

test('a loaded GAN run rejects as configured, 0 turns it off, and a run without its dataset still generates', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmgen-rejection-'));
  try {
    const { runDir } = await trainTinyGanRun(root, {
      seed: 2,
      images: 60,
      training: { classifierWarmup: 1 },
      generation: { rejection: 0.3, calibrationImages: 64 },
    });
    const before = memory().tensors;
    const rejecting = await loadTextToImageRun(runDir);
    assert.match(rejecting.generation ?? '', /lowest 30 % on 64 training captions/);
    const off = await loadTextToImageRun(runDir, { rejection: 0 });
    assert.equal(off.generation, undefined);
    // 24 draws over all three shapes, 30 % rejected: with 8 draws of two shapes and 10 %, none was redrawn at
    // training seeds 0 and 1; now 2-11 of the 24 are, over training seeds 0-4 and generation seeds 0-4
    const prompts = Array.from({ length: 24 }, (_, index) => ['heart', 'square', 'ellipse'][index % 3] as string);
    const [a, b, plain] = [
      rejecting.model.generate(prompts, 3),
      rejecting.model.generate(prompts, 3),
      off.model.generate(prompts, 3),
    ];
    assert.deepEqual(a.toFlatArray(), b.toFlatArray(), 'same seed, same images with rejection');
    assert.notDeepEqual(a.toFlatArray(), plain.toFlatArray(), 'rejection redrew some of the 24');
    for (const tensor of [a, b, plain]) tensor.dispose();
    rejecting.model.dispose();
    off.model.dispose();
    assert.equal(memory().tensors, before);

    // the run folder moved without its dataset: generation goes on with every draw, and says so
    const moved = join(root, 'moved');
    await cp(runDir, moved, { recursive: true });
    const settings = JSON.parse(await readFile(join(moved, 'config.json'), 'utf8')) as { dataset: string };
    await writeFile(join(moved, 'config.json'), JSON.stringify({ ...settings, dataset: join(root, 'gone') }));
    const orphan = await loadTextToImageRun(moved);
    assert.match(orphan.notice ?? '', /rejection sampling is off: .*gone.*every draw is used/);
    orphan.model.dispose();
    await assert.rejects(
      loadTextToImageRun(moved, { rejection: 0.2 }),
      /rejection sampling is off: .*training captions of the run's dataset/,
    );
    // configured off (the default), a moved run needs no dataset and says nothing
    await writeFile(
      join(moved, 'config.json'),
      JSON.stringify({ ...settings, dataset: join(root, 'gone'), generation: { rejection: 0 } }),
    );
    const quiet = await loadTextToImageRun(moved);
    assert.equal(quiet.notice, undefined);
    assert.equal(quiet.generation, undefined);
    quiet.model.dispose();

    const cli = (...flags: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(
        process.execPath,
        ['bin/mmgen.js', 'generate', runDir, '--text', 'heart', '--n', '2', '--out', join(root, 'out'), ...flags],
        { encoding: 'utf8' },
      );
    assert.equal(cli('--rejection', '0.2').status, 0);
    const bad = cli('--rejection', '1.5');
    assert.notEqual(bad.status, 0);
    assert.match(String(bad.stderr), /--rejection must be a number from 0 to 0.9, got "1.5"/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
