// joint-vae on a handful of spoken shapes (image + caption + speech): a tiny model overfits them so that
// translation recovers each modality from each other one; every mixing trains; exact resume; the same
// seed gives the same bytes; samples without audio or text still train; bad inputs get clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, cp } from 'node:fs/promises';
import { join } from 'node:path';
import { readDataset } from '../../src/data/format.js';
import { jointVaeConfig, type JointVaeConfig } from '../../src/models/joint-vae.js';
import { loadJointVaeRun } from '../../src/models/joint-run.js';
import { prepareJointInputs } from '../../src/models/joint/inputs.js';
import { disposeOutput } from '../../src/models/joint/outputs.js';
import { loadJointSplit, trainJointVae } from '../../src/train/sessions/joint.js';
import { type Tensor, dispose, memory, tidy } from '../../src/tensor/index.js';
import { tinySpokenShapes } from './spoken-shapes.js';

const { root, dataset } = await tinySpokenShapes('mmgen-joint-');

function tinyConfig(
  overrides: {
    mixing?: string;
    steps?: number;
    seed?: number;
    dataset?: string;
    model?: Record<string, unknown>;
    trainLimit?: number;
  } = {},
): JointVaeConfig {
  return jointVaeConfig.parse({
    recipe: 'joint-vae',
    dataset: overrides.dataset ?? dataset,
    seed: overrides.seed ?? 0,
    model: {
      mixing: overrides.mixing ?? 'mopoe',
      latentDim: 8,
      featureDim: 32,
      image: { encoderChannels: 8, decoderChannels: 32 },
      audio: {
        encoderChannels: 8,
        decoderChannels: 32,
        weight: 2,
        spectrogram: { size: 64, nFft: 2048, hopLength: 1024 },
      },
      text: { embeddingDim: 16, hiddenSize: 32, dropout: 0 },
      ...overrides.model,
    },
    training: {
      steps: overrides.steps ?? 200,
      batchSize: overrides.trainLimit ?? 12,
      ...(overrides.trainLimit ? { trainLimit: overrides.trainLimit } : {}),
      lr: 3e-3,
      klWarmupSteps: 100,
      beta: 0.5,
      logEvery: 10,
      sampleEvery: 10000,
      checkpointEvery: 10000,
    },
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

test('a tiny joint-vae (MMVAE mixing) overfits six spoken shapes: each modality is recovered from each other one, and nothing leaks', async () => {
  const before = memory().tensors;
  const runDir = join(root, 'run-mopoe');
  const losses: Record<string, number>[] = [];
  // MMVAE's mixture trains every single-modality expert to reconstruct every modality, which is what
  // translation from one modality needs (MoPoE's single-modality subsets are a seventh of its draws)
  const { model } = await trainJointVae(tinyConfig({ mixing: 'moe', steps: 300, trainLimit: 6 }), {
    runDir,
    onEvent: (event) => event.type === 'step' && losses.push(event.losses),
  });
  const first = losses[0]?.reconstruction ?? 0;
  const last = losses[losses.length - 1]?.reconstruction ?? 0;
  assert.ok(last < first * 0.5, `reconstruction should halve: ${first.toFixed(1)} → ${last.toFixed(1)}`);

  const loaded = await readDataset(dataset);
  const split = await loadJointSplit(loaded, model, { split: 'train', limit: 6 });
  try {
    const captions = split.entries.map((entry) => entry.text);
    const images = tidy(() => (split.images as Tensor).float().div(127.5).sub(1));
    const spectrograms = split.audio as Tensor;
    const inputs = {
      text: { tokens: split.tokens as Tensor, lengths: split.lengths as Tensor },
      image: images,
      audio: spectrograms,
    };
    const scores: string[] = [];
    for (const source of ['text', 'image', 'audio'] as const) {
      const output = model.translate(
        { [source]: inputs[source] },
        {
          to: ['image', 'text', 'audio'].filter((name) => name !== source) as ('image' | 'text' | 'audio')[],
          seed: 1,
          temperature: 0,
        },
      );
      try {
        const checks: [string, (index: number) => boolean][] = [];
        // the decoded picture is nearest to a training picture of the source row's caption
        if (output.image) {
          const found = nearest(output.image, images);
          checks.push(['image', (index) => captions[found[index] as number] === captions[index]]);
        }
        if (output.audio) {
          const found = nearest(output.audio.spectrograms, spectrograms);
          checks.push(['audio', (index) => captions[found[index] as number] === captions[index]]);
        }
        if (output.text) checks.push(['text', (index) => output.text?.[index]?.text === captions[index]]);
        for (const [target, right] of checks) {
          const correct = captions.filter((_, index) => right(index)).length;
          scores.push(`${source}→${target} ${correct}/${captions.length}`);
          // three captions: chance is a third
          assert.ok(
            correct >= captions.length - 1,
            `${source}→${target}: ${correct} of ${captions.length} right (${scores.join(', ')})`,
          );
        }
      } finally {
        disposeOutput(output);
      }
    }
    images.dispose();
  } finally {
    split.dispose();
    model.dispose();
  }
  assert.equal(memory().tensors, before);
});

test('every mixing trains a few steps with falling loss (poe, moe with DReG, mmvae+ with IWAE)', async () => {
  const before = memory().tensors;
  for (const [mixing, model] of [
    ['poe', {}],
    ['moe', { estimator: 'dreg', samples: 3 }],
    ['mmvae+', { estimator: 'iwae', samples: 3, privateDim: 4 }],
  ] as const) {
    const losses: number[] = [];
    const result = await trainJointVae(tinyConfig({ mixing, steps: 60, model }), {
      runDir: join(root, `run-${mixing}`),
      onEvent: (event) => event.type === 'step' && losses.push(event.losses.reconstruction ?? 0),
    });
    result.model.dispose();
    assert.ok(losses.every(Number.isFinite), `${mixing}: finite losses`);
    assert.ok(
      (losses[losses.length - 1] as number) < (losses[0] as number) * 0.85,
      `${mixing}: reconstruction should fall by 15 %: ${losses.map((value) => value.toFixed(0)).join(' ')}`,
    );
  }
  assert.equal(memory().tensors, before);
});

test('exact resume: 6 steps, stop, 6 more give the weights of 12 uninterrupted steps; the same seed gives the same bytes', async () => {
  const config = tinyConfig({ steps: 12 });
  const straight = join(root, 'straight');
  const resumed = join(root, 'resumed');
  (await trainJointVae(config, { runDir: straight })).model.dispose();
  (await trainJointVae(config, { runDir: resumed, stopAfter: 6 })).model.dispose();
  (await trainJointVae(config, { runDir: resumed, resume: true })).model.dispose();
  assert.deepEqual(
    await readFile(join(resumed, 'model.safetensors')),
    await readFile(join(straight, 'model.safetensors')),
  );

  const before = memory().tensors;
  const model = await loadJointVaeRun(straight);
  try {
    const prepared = await prepareJointInputs(model, { text: ['square', 'heart'] });
    const a = model.translate(prepared.inputs, { to: ['image', 'audio'], n: 2, seed: 9 });
    const b = model.translate(prepared.inputs, { to: ['image', 'audio'], n: 2, seed: 9 });
    const c = model.sample(3, 4);
    const d = model.sample(3, 4);
    assert.deepEqual(a.image?.shape, [4, 3, 64, 64]);
    assert.deepEqual(a.image?.toFlatArray(), b.image?.toFlatArray());
    assert.deepEqual(a.audio?.clips, b.audio?.clips);
    assert.deepEqual(
      c.text?.map((text) => text.text),
      d.text?.map((text) => text.text),
    );
    assert.deepEqual(c.image?.toFlatArray(), d.image?.toFlatArray());
    for (const output of [a, b, c, d]) disposeOutput(output);
    dispose(prepared.inputs);
  } finally {
    model.dispose();
  }
  assert.equal(memory().tensors, before);
});

test('samples without audio or without text still train; presence masks keep them out of those terms', async () => {
  const partial = join(root, 'partial');
  await cp(dataset, partial, { recursive: true });
  const manifest = (await readFile(join(partial, 'manifest.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  manifest.forEach((entry, index) => {
    if (index % 3 === 1) delete entry.audio;
    if (index % 3 === 2) entry.text = '';
  });
  await writeFile(join(partial, 'manifest.jsonl'), `${manifest.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
  const before = memory().tensors;
  for (const mixing of ['mopoe', 'poe', 'moe']) {
    const losses: number[] = [];
    const { model } = await trainJointVae(tinyConfig({ mixing, steps: 60, dataset: partial }), {
      runDir: join(root, `partial-${mixing}`),
      onEvent: (event) => event.type === 'step' && losses.push(event.losses.reconstruction ?? 0),
    });
    model.dispose();
    assert.ok(losses.every(Number.isFinite), `${mixing}: finite losses with missing modalities`);
    assert.ok(
      (losses[losses.length - 1] as number) < (losses[0] as number) * 0.85,
      `${mixing}: reconstruction falls with missing modalities: ${losses.map((value) => value.toFixed(0)).join(' ')}`,
    );
  }
  assert.equal(memory().tensors, before);
});

test('bad translation inputs are clear errors; one bad file leaves the other rows', async () => {
  const model = await loadJointVaeRun(join(root, 'straight'));
  try {
    await assert.rejects(prepareJointInputs(model, {}), /give at least one input/);
    const corrupt = join(root, 'corrupt.png');
    await writeFile(corrupt, 'not a png');
    const empty = join(root, 'empty.wav');
    await writeFile(empty, '');
    const good = join(dataset, (await readDataset(dataset)).entries[0]?.image as string);
    const prepared = await prepareJointInputs(model, { image: [corrupt, good] });
    assert.equal(prepared.failures.length, 1);
    assert.match(prepared.failures[0]?.error ?? '', /corrupt\.png/);
    assert.equal((prepared.inputs.image as Tensor).shape[0], 1);
    (prepared.inputs.image as Tensor).dispose();
    const unreadable = await prepareJointInputs(model, { audio: [empty] });
    assert.match(unreadable.failures[0]?.error ?? '', /empty\.wav/);
    const unknown = await prepareJointInputs(model, { text: ['zebra'] });
    assert.match(unknown.failures[0]?.error ?? '', /outside the vocabulary: zebra/);
    await assert.rejects(
      prepareJointInputs(model, { text: ['square', 'heart'], image: [good] }),
      /as many of each input/,
    );
    assert.throws(() => model.translate({}, { to: ['image'] }), /at least one input/);
  } finally {
    model.dispose();
  }
});
