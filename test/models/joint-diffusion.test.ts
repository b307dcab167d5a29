// joint-diffusion on a handful of shapes (image + caption): a tiny run overfits them so that each modality is
// recovered from the other; a resume at any step — across the stage boundary too — gives the weights of an
// uninterrupted run; the same seed gives the same bytes; bad sampler settings and an untrained second stage
// are clear errors; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { readDataset } from '../../src/data/format.js';
import {
  type JointDiffusion,
  type JointDiffusionConfig,
  jointDiffusionConfig,
} from '../../src/models/joint-diffusion.js';
import { loadJointRun } from '../../src/models/joint-run.js';
import { prepareJointInputs } from '../../src/models/joint/inputs.js';
import { disposeOutput } from '../../src/models/joint/outputs.js';
import { openJointRun } from '../../src/models/joint/open.js';
import { PicturePart } from '../../src/models/joint/parts.js';
import { JointAutoencoders } from '../../src/models/joint/autoencoders.js';
import { Tokenizer } from '../../src/modalities/text/index.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';
import { loadJointSplit } from '../../src/train/sessions/joint.js';
import { type Tensor, dispose, memory, tidy, zeros } from '../../src/tensor/index.js';
import { evaluateJointRun, rowsAsInputs } from '../../src/cli/commands/eval-joint.js';
import { writeJointReport } from '../../src/eval/joint-report.js';
import { loadSafetensors } from '../../src/tensor/safetensors.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-joint-diffusion-'));
const dataset = join(root, 'shapes');
await buildDataset({ builder: 'shapes', out: dataset, seed: 2, options: { level: 1, count: 30, val: 0.1, test: 0.1 } });

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

function tinyConfig(
  overrides: {
    autoencoderSteps?: number;
    scoreSteps?: number;
    seed?: number;
    from?: string;
    modalitySteps?: Record<string, number>;
    imageGrid?: number;
  } = {},
): JointDiffusionConfig {
  return jointDiffusionConfig.parse({
    recipe: 'joint-diffusion',
    dataset,
    seed: overrides.seed ?? 0,
    model: {
      // a 4×4 grid of one channel per cell
      latentDim: overrides.imageGrid ? 16 : 8,
      ...(overrides.imageGrid ? { imageGrid: overrides.imageGrid } : {}),
      featureDim: 32,
      image: { encoderChannels: 8, decoderChannels: 32 },
      text: { embeddingDim: 16, hiddenSize: 32, dropout: 0 },
      score: { width: 128, blocks: 2 },
    },
    training: {
      autoencoder: {
        steps: overrides.autoencoderSteps ?? 400,
        batchSize: 6,
        lr: 3e-3,
        ...(overrides.from ? { from: overrides.from } : {}),
        ...(overrides.modalitySteps ? { modalitySteps: overrides.modalitySteps } : {}),
      },
      score: { steps: overrides.scoreSteps ?? 1500, batchSize: 6, lr: 2e-3, emaDecay: 0.99 },
      trainLimit: 6,
      logEvery: 10,
      sampleEvery: 100000,
      checkpointEvery: 100000,
    },
    sampling: { steps: 20 },
    decoding: { beam: 1 },
  });
}

/** The index of the nearest row of `bank` [N, …] to each row of `queries` [M, …] (mean squared distance). */
function nearest(queries: Tensor, bank: Tensor): number[] {
  return tidy(() => {
    const distances = queries.flatten(1).unsqueeze(1).sub(bank.flatten(1).unsqueeze(0)).square().mean(2);
    return Array.from(distances.argmin(1).toFlatArray(), Number);
  });
}

test('a grid picture latent is refused when latentDim does not split over its cells or the grid is finer than the picture allows', () => {
  assert.throws(
    () => jointDiffusionConfig.parse({ ...tinyConfig({ imageGrid: 4 }), model: { latentDim: 8, imageGrid: 4 } }),
    /a 4×4 grid needs latentDim to be a multiple of 16/,
  );
  const tokenizer = Tokenizer.fromCorpus(['red square'], { level: 'word' });
  const config = tinyConfig({ imageGrid: 4 });
  assert.throws(
    () => new JointAutoencoders(config.model, { image: { size: 16, channels: 3 }, tokenizer }, 16, 16),
    /model.imageGrid 16 is too fine for 16-pixel pictures .*use at most 8/,
  );
});

for (const imageGrid of [undefined, 4]) {
  const latent = imageGrid ? `a ${imageGrid}×${imageGrid} grid picture latent` : 'a vector picture latent';
  test(`a tiny joint-diffusion with ${latent} overfits six shapes: the caption is read from the picture and the picture drawn from the caption`, async () => {
    const before = memory().tensors;
    const runDir = join(root, imageGrid ? `run-grid${imageGrid}` : 'run');
    const losses: Record<string, number>[] = [];
    const { model } = await trainJointDiffusion(tinyConfig(imageGrid ? { imageGrid } : {}), {
      runDir,
      onEvent: (event) => event.type === 'step' && losses.push(event.losses),
    });
    const autoencoder = losses.filter((entry) => entry.reconstruction_image !== undefined && entry.score === undefined);
    const score = losses.filter((entry) => entry.score !== undefined);
    assert.ok(
      (autoencoder.at(-1)?.reconstruction_image ?? 0) < (autoencoder[0]?.reconstruction_image ?? 0) * 0.5,
      'the image autoencoder learns',
    );
    assert.ok(
      (score.at(-1)?.score ?? 0) < (score[0]?.score ?? 0) * 0.8,
      `the score loss falls: ${score[0]?.score} → ${score.at(-1)?.score}`,
    );

    const split = await loadJointSplit(await readDataset(dataset), model, { split: 'train', limit: 6 });
    try {
      const captions = split.entries.map((entry) => entry.text);
      const images = tidy(() => (split.images as Tensor).float().div(127.5).sub(1));
      const text = { tokens: split.tokens as Tensor, lengths: split.lengths as Tensor };
      const toImage = model.translate({ text }, { to: ['image'], seed: 3 });
      const toText = model.translate({ image: images }, { to: ['text'], seed: 3 });
      try {
        const found = nearest(toImage.image as Tensor, images);
        const drawn = captions.filter((caption, row) => captions[found[row] as number] === caption).length;
        const read = captions.filter((caption, row) => toText.text?.[row]?.text === caption).length;
        // three captions: chance is a third
        assert.ok(drawn >= 5, `pictures drawn from captions nearest a picture of that caption: ${drawn} of 6`);
        assert.ok(
          read >= 5,
          `captions read from pictures: ${read} of 6 (${toText.text?.map((t) => t.text).join(', ')})`,
        );
      } finally {
        disposeOutput(toImage);
        disposeOutput(toText);
        images.dispose();
      }
    } finally {
      split.dispose();
      model.dispose();
    }
    assert.equal(memory().tensors, before);
  });
}

test('exact resume across the stage boundary; the same seed gives the same bytes', async () => {
  const config = tinyConfig({ autoencoderSteps: 6, scoreSteps: 6 });
  const straight = join(root, 'straight');
  (await trainJointDiffusion(config, { runDir: straight })).model.dispose();
  // stopped in the first stage, then at the boundary's other side
  for (const [name, stops] of [
    ['in-first', [4]],
    ['across', [6, 9]],
  ] as const) {
    const resumed = join(root, name);
    let first = true;
    for (const stop of stops) {
      (await trainJointDiffusion(config, { runDir: resumed, stopAfter: stop, resume: !first })).model.dispose();
      first = false;
    }
    (await trainJointDiffusion(config, { runDir: resumed, resume: true })).model.dispose();
    assert.deepEqual(
      await readFile(join(resumed, 'model.safetensors')),
      await readFile(join(straight, 'model.safetensors')),
      `resumed ${name}`,
    );
  }
  const before = memory().tensors;
  const model = await loadJointRun(straight);
  try {
    const prepared = await prepareJointInputs(model, { text: ['square', 'heart'] });
    const a = model.translate(prepared.inputs, { to: ['image'], n: 2, seed: 5 });
    const b = model.translate(prepared.inputs, { to: ['image'], n: 2, seed: 5 });
    const c = model.sample(2, 1);
    const d = model.sample(2, 1);
    assert.deepEqual(a.image?.shape, [4, 3, 64, 64]);
    assert.deepEqual(a.image?.toFlatArray(), b.image?.toFlatArray());
    assert.deepEqual(c.image?.toFlatArray(), d.image?.toFlatArray());
    assert.deepEqual(
      c.text?.map((t) => t.text),
      d.text?.map((t) => t.text),
    );
    assert.throws(
      () => model.translate(prepared.inputs, { to: ['image'], steps: 0 }),
      /sampler steps must be an integer from 1 to 10000/,
    );
    assert.throws(() => model.translate(prepared.inputs, { to: ['image'], steps: 10001 }), /from 1 to 10000/);
    assert.throws(
      () => model.translate(prepared.inputs, { to: ['image'], guidance: Number.NaN }),
      /guidance must be a number/,
    );
    assert.throws(() => model.translate(prepared.inputs, { to: ['audio'] }), /cannot produce audio/);
    assert.throws(
      () => model.translate(prepared.inputs, { to: ['image'], eta: 1.5 }),
      /eta \(the sampler's stochasticity\) must be a number from 0 to 1, got 1.5/,
    );
    assert.throws(() => model.sample(2, 1, undefined, { eta: -1 }), /from 0 to 1, got -1/);
    // fresh noise at every step (η = 1): still the same bytes for the same seed, other bytes than DDIM's
    const ancestral = [0, 1].map(() => model.translate(prepared.inputs, { to: ['image'], n: 2, seed: 5, eta: 1 }));
    assert.deepEqual(ancestral[0]?.image?.toFlatArray(), ancestral[1]?.image?.toFlatArray());
    assert.notDeepEqual(ancestral[0]?.image?.toFlatArray(), a.image?.toFlatArray());
    for (const output of ancestral) disposeOutput(output);
    // the best of 3 draws per output: still n outputs per row, and the same seed gives the same bytes
    const e = model.translate(prepared.inputs, { to: ['image', 'text'], n: 2, seed: 5, candidates: 3 });
    const f = model.translate(prepared.inputs, { to: ['image', 'text'], n: 2, seed: 5, candidates: 3 });
    const g = model.sample(2, 1, undefined, { candidates: 3 });
    const h = model.sample(2, 1, undefined, { candidates: 3 });
    assert.deepEqual(e.image?.shape, [4, 3, 64, 64]);
    assert.equal(e.text?.length, 4);
    assert.deepEqual(e.image?.toFlatArray(), f.image?.toFlatArray());
    assert.deepEqual(g.image?.toFlatArray(), h.image?.toFlatArray());
    assert.equal(g.text?.length, 2);
    assert.throws(
      () => model.translate(prepared.inputs, { to: ['image'], candidates: 0 }),
      /candidates \(draws per output\) must be a whole number from 1 to 64, got 0/,
    );
    for (const output of [a, b, c, d, e, f, g, h]) disposeOutput(output);
    dispose(prepared.inputs);
  } finally {
    model.dispose();
  }
  assert.equal(memory().tensors, before);
});

test('modalitySteps: the text autoencoder stops at its own steps while the picture one trains on; resume keeps the bytes', async () => {
  const before = memory().tensors;
  const textFirstEvery10 = tinyConfig({ autoencoderSteps: 5, scoreSteps: 2, modalitySteps: { text: 2 } });
  const textFirst = { ...textFirstEvery10, training: { ...textFirstEvery10.training, logEvery: 1 } };
  const folders = {
    short: join(root, 'two-steps'),
    long: join(root, 'text-two'),
    resumed: join(root, 'text-two-resumed'),
  };
  (
    await trainJointDiffusion(tinyConfig({ autoencoderSteps: 2, scoreSteps: 0 }), { runDir: folders.short })
  ).model.dispose();
  const logged: Record<string, number>[] = [];
  const { model } = await trainJointDiffusion(textFirst, {
    runDir: folders.long,
    onEvent: (event) => event.type === 'step' && logged.push(event.losses),
  });
  assert.equal(model.plan.autoencoderSteps, 5);
  assert.deepEqual(model.plan.autoencodersAt(2), ['image', 'text']);
  assert.deepEqual(model.plan.autoencodersAt(3), ['image']);
  model.dispose();
  assert.deepEqual(
    logged.slice(0, 5).map((losses) => 'reconstruction_text' in losses),
    [true, true, false, false, false],
  );
  // stopped where only the picture autoencoder still trains, then resumed
  (await trainJointDiffusion(textFirst, { runDir: folders.resumed, stopAfter: 3 })).model.dispose();
  (await trainJointDiffusion(textFirst, { runDir: folders.resumed, resume: true })).model.dispose();
  assert.deepEqual(
    await readFile(join(folders.resumed, 'model.safetensors')),
    await readFile(join(folders.long, 'model.safetensors')),
  );
  const weights = async (folder: string): Promise<Map<string, Tensor>> =>
    (await loadSafetensors(join(folder, 'model.safetensors'))).tensors;
  const [short, long] = [await weights(folders.short), await weights(folders.long)];
  try {
    const same = (prefix: string): boolean =>
      [...short]
        .filter(([key]) => key.startsWith(prefix))
        .every(([key, value]) => {
          const other = long.get(key)?.toFlatArray();
          return other !== undefined && value.toFlatArray().every((number, index) => number === other[index]);
        });
    assert.ok(same('autoencoders.text.') && same('autoencoders.textHead.'), 'text weights as after its 2 steps');
    assert.ok(!same('autoencoders.image.'), 'the picture autoencoder trained on');
  } finally {
    dispose([...short.values(), ...long.values()]);
  }
  assert.equal(memory().tensors, before);
  assert.throws(
    () =>
      jointDiffusionConfig.parse({
        ...textFirst,
        training: { ...textFirst.training, autoencoder: { ...textFirst.training.autoencoder, from: folders.long } },
      }),
    /text keeps the autoencoder of training.autoencoder.from.*name it in retrain or tune/,
  );
});

// Each stage's cosine schedule: the rate of its fifth (last) step, step 4 of 5 along the cosine from lr to lr / 10,
// whatever the other stage's length.
for (const stage of ['autoencoder', 'score'] as const) {
  test(`training.${stage}.schedule cosine: the ${stage} stage's learning rate falls to a tenth of lr over it`, async () => {
    const constant = tinyConfig(
      stage === 'autoencoder' ? { autoencoderSteps: 5, scoreSteps: 0 } : { autoencoderSteps: 2, scoreSteps: 5 },
    );
    const cosine = {
      ...constant,
      training: { ...constant.training, [stage]: { ...constant.training[stage], schedule: 'cosine' as const } },
    };
    const { model } = await trainJointDiffusion(cosine, { runDir: join(root, `${stage}-cosine`) });
    const last = (stage === 'autoencoder' ? model.autoencoderOptimizer : model.scoreOptimizer).lr;
    model.dispose();
    const lr = constant.training[stage].lr;
    const expected = lr * (0.1 + 0.45 * (1 + Math.cos((Math.PI * 4) / 5)));
    assert.ok(Math.abs(last - expected) < 1e-12, `the last rate was ${last}, expected ${expected}`);
    assert.ok(last < lr * 0.2 && last > lr * 0.1);
  });
}

test('a run whose score network never trained says which command trains it; it still reconstructs, and eval measures its ceilings alone', async () => {
  const partial = join(root, 'first-stage-only');
  (
    await trainJointDiffusion(tinyConfig({ autoencoderSteps: 4, scoreSteps: 10 }), { runDir: partial, stopAfter: 3 })
  ).model.dispose();
  const model = (await loadJointRun(partial)) as JointDiffusion;
  const split = await loadJointSplit(await readDataset(dataset), model, { split: 'test' });
  const inputs = rowsAsInputs(split, [0, 1], ['image', 'text']);
  try {
    assert.equal(model.reconstructsOnly, true);
    assert.throws(() => model.sample(1, 0), /score network never trained.*mmgen train --resume/);
    assert.throws(
      () => model.translate({ text: inputs.text }, { to: ['image'] }),
      /score network never trained.*mmgen train --resume/,
    );
    // each modality from itself is its autoencoder's round trip
    const back = model.translate(inputs, { to: ['image', 'text'], seed: 1 });
    const direct = tidy(() =>
      (model.autoencoders.part('image') as PicturePart).decode(
        model.autoencoders.encode(0, inputs.image as Tensor),
        zeros([2, 0]),
      ),
    );
    const difference = tidy(() => (back.image as Tensor).sub(direct).abs().max().item());
    assert.ok(difference < 1e-5, `the round trip differs from encode → decode by ${difference}`);
    assert.equal(back.text?.length, 2);
    // a bad sampler setting is an error even where no sampling runs
    assert.throws(() => model.translate(inputs, { to: ['image'], steps: 0 }), /sampler steps must be an integer/);
    disposeOutput(back);
    direct.dispose();
    const { evaluation } = await evaluateJointRun(partial, model, {
      rows: 3,
      seed: 0,
      temperature: 1,
      distribution: false,
    });
    assert.equal(evaluation.directions.length, 0);
    assert.equal(evaluation.joint, undefined);
    assert.deepEqual(
      evaluation.reconstructions?.map((direction) => direction.to),
      ['text'],
      'without a judge only the captions are read',
    );
    assert.ok(evaluation.notes.some((note) => /score network never trained/.test(note)));
    // the validation split, for choosing sampling settings without looking at test, reports beside the test one
    const validation = await evaluateJointRun(partial, model, {
      rows: 3,
      seed: 0,
      temperature: 1,
      distribution: false,
      split: 'val',
    });
    const written = await writeJointReport(partial, validation.evaluation, validation.context);
    assert.equal(written.markdown, join(partial, 'eval-val.md'));
    assert.match(await readFile(written.markdown, 'utf8'), /3 val samples per direction/);
  } finally {
    dispose(inputs);
    split.dispose();
    model.dispose();
  }
});

test('the library door: openJointRun translates captions and files, outputs save themselves', async () => {
  const before = memory().tensors;
  const run = await openJointRun(join(root, 'straight'));
  try {
    assert.equal(run.recipe, 'joint-diffusion');
    assert.deepEqual(run.modalities, ['image', 'text']);
    const result = await run.translate({ text: ['square', 'heart'] }, { to: ['image'], n: 2, seed: 4 });
    assert.equal(result.images.length, 4);
    const png = await result.images[0]?.png();
    assert.equal(png?.subarray(1, 4).toString('latin1'), 'PNG');
    const folder = join(root, 'library-out');
    const written = await result.save(folder);
    const manifest = (await readFile(join(folder, 'manifest.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { image?: string; from?: { text?: string } });
    assert.equal(manifest.length, 4);
    assert.equal(manifest[2]?.from?.text, 'heart');
    assert.ok(written.sheet.endsWith('sheet.png'));
    const back = await run.translate({ image: join(folder, manifest[0]?.image as string) }, { to: ['text'], seed: 1 });
    assert.equal(back.texts.length, 1);
    await assert.rejects(run.translate({ image: join(root, 'missing.png') }, { to: ['text'] }), /missing\.png/);
    const sampled = await run.sample(3, 2);
    assert.equal(sampled.images.length, 3);
    assert.equal(sampled.texts.length, 3);
  } finally {
    run.dispose();
  }
  assert.equal(memory().tensors, before);
});
