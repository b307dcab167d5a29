// joint-vae over a joint-diffusion run's autoencoders (`model.autoencoders`): the VAE learns on their latents
// (its loss falls at three seeds, from each modality's latent it predicts the latents of the same sample's
// other modalities, and joint samples through a caption go with it), the autoencoders stay exactly as their
// run has them, the run loads and translates with its source gone, it resumes exactly, the same seed gives
// the same bytes, a run that is not joint-diffusion is refused; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readDataset } from '../../src/data/format.js';
import { jointVaeConfig, type JointVaeConfig } from '../../src/models/joint-vae.js';
import { loadJointVaeRun } from '../../src/models/joint-run.js';
import { standardisedLatent } from '../../src/models/joint/held-autoencoders.js';
import { LatentPart } from '../../src/models/joint/latent-part.js';
import { type ModalityData, noPrivate } from '../../src/models/joint/parts.js';
import { disposeOutput } from '../../src/models/joint/outputs.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';
import { jointBatchOf, loadJointSplit, trainJointVae } from '../../src/train/sessions/joint.js';
import { type Tensor, dispose, memory, noGrad, stack, tensor, tidy } from '../../src/tensor/index.js';
import { loadSafetensors } from '../../src/tensor/safetensors.js';
import { tinySpokenShapes } from './spoken-shapes.js';
import { tinyJointDiffusion } from './tiny-joint-diffusion.js';

const { root, dataset } = await tinySpokenShapes('mmgen-joint-vae-held-');
const audio = {
  encoderChannels: 8,
  decoderChannels: 32,
  weight: 2,
  spectrogram: { size: 64, nFft: 2048, hopLength: 1024 },
};

// the autoencoders: a tiny joint-diffusion's first stage (its score network's few steps set the statistics)
const source = join(root, 'autoencoders');
(
  await trainJointDiffusion(
    tinyJointDiffusion(dataset, {
      audio,
      autoencoder: { steps: 300, batchSize: 6, lr: 3e-3 },
      score: { steps: 2, batchSize: 6 },
      trainLimit: 6,
      logEvery: 10,
    }),
    { runDir: source },
  )
).model.dispose();

function heldConfig(run: string, seed = 0, steps = 600, temperature = 1): JointVaeConfig {
  return jointVaeConfig.parse({
    recipe: 'joint-vae',
    dataset,
    seed,
    model: { mixing: 'moe', latentDim: 8, autoencoders: { run, hidden: 64 } },
    sampling: { through: 'text', temperature },
    training: {
      steps,
      batchSize: 6,
      trainLimit: 6,
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

const rowsOf = (captions: string[], caption: string): number[] =>
  captions.flatMap((text, row) => (text === caption ? [row] : []));

async function weights(runDir: string, prefix: string): Promise<Map<string, number[]>> {
  const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors'));
  const out = new Map(
    [...tensors].filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key, [...value.toFlatArray()]]),
  );
  dispose([...tensors.values()]);
  return out;
}

for (const seed of [0, 1, 2]) {
  test(`over held autoencoders (seed ${seed}): the loss falls, each modality's latent predicts the others', the autoencoders keep their weights`, async () => {
    const before = memory().tensors;
    const runDir = join(root, `held-${seed}`);
    const losses: Record<string, number>[] = [];
    const { model } = await trainJointVae(heldConfig(source, seed), {
      runDir,
      onEvent: (event) => event.type === 'step' && losses.push(event.losses),
    });
    const split = await loadJointSplit(await readDataset(dataset), model, { split: 'train', limit: 6 });
    try {
      const first = losses[0]?.reconstruction ?? 0;
      const last = losses.at(-1)?.reconstruction ?? 0;
      assert.ok(last < first * 0.7, `reconstruction should fall below 0.7 of its start: ${first} → ${last}`);
      const autoencoders = model.autoencoders;
      assert.ok(autoencoders);
      const images = tidy(() => (split.images as Tensor).float().div(127.5).sub(1));
      const { data } = jointBatchOf(model.names, { ...split, images });
      const latents = model.names.map((name, index) =>
        standardisedLatent(autoencoders, name, data[index] as ModalityData),
      );
      images.dispose();
      const captions = split.entries.map((entry) => entry.text);
      try {
        // from each modality's latent, the mean latent of every other: nearest to the centroid of its own caption's
        // latents (a picture's tilt and a voice are not in a caption, so a centroid is what can be predicted)
        const network = model.network;
        network.eval();
        const distinct = [...new Set(captions)];
        for (const [from, source] of model.names.entries())
          for (const [to, target] of model.names.entries()) {
            if (from === to) continue;
            const found = noGrad(() =>
              tidy(() => {
                const shared = network.posterior(from, latents[from] as Tensor).shared.mean;
                const part = network.part(target) as LatentPart;
                const predicted = part.mean(shared, noPrivate(6));
                const bank = latents[to] as Tensor;
                const centroids = stack(
                  distinct.map((caption) =>
                    bank.indexSelect(0, tensor(BigInt64Array.from(rowsOf(captions, caption), BigInt))).mean(0),
                  ),
                );
                const distances = predicted.unsqueeze(1).sub(centroids.unsqueeze(0)).square().sum(2);
                return Array.from(distances.argmin(1).toFlatArray(), Number);
              }),
            );
            const right = found.filter((index, row) => distinct[index] === captions[row]).length;
            // three captions among six rows: chance is a third
            assert.ok(right >= 5, `${source}→${target}: ${right} of 6 nearest their caption's centroid`);
          }
        // joint samples through the caption: a caption of the data, and a picture and a sound that go with it
        const sampled = model.sample(24, seed);
        try {
          const texts = (sampled.text ?? []).map((text) => text.text);
          assert.ok(
            texts.every((text) => distinct.includes(text)),
            `sampled captions are the data's: ${texts.join(' | ')}`,
          );
          // the picture and the sound drawn for each caption are read back as that caption (posterior means)
          for (const name of ['image', 'audio'] as const) {
            const drawn = (name === 'image' ? sampled.image : sampled.audio?.spectrograms) as Tensor;
            const read = model.translate({ [name]: drawn }, { to: ['text'], temperature: 0 });
            const agree = (read.text ?? []).filter((text, row) => text.text === texts[row]).length;
            disposeOutput(read);
            // chance is a third (8 of 24); the tiny autoencoders' pictures are read back 15–20 times at seeds 0–2
            assert.ok(agree >= 13, `joint ${name}: ${agree} of 24 read back as their sampled caption`);
          }
        } finally {
          disposeOutput(sampled);
        }
      } finally {
        dispose(latents);
      }
      assert.deepEqual(await weights(runDir, 'autoencoders.'), await weights(source, 'autoencoders.'));
    } finally {
      split.dispose();
      model.dispose();
    }
    assert.equal(memory().tensors, before);
  });
}

test('a run over held autoencoders loads and translates with its source gone; the same seed gives the same bytes', async () => {
  const before = memory().tensors;
  const copy = join(root, 'autoencoders-copy');
  await cp(source, copy, { recursive: true });
  const runDir = join(root, 'held-alone');
  // the run's temperature 0: translation takes the posterior's mean unless asked for draws
  (await trainJointVae(heldConfig(copy, 0, 40, 0), { runDir })).model.dispose();
  await rm(copy, { recursive: true });
  const model = await loadJointVaeRun(runDir);
  try {
    const loaded = await readDataset(dataset);
    const split = await loadJointSplit(loaded, model, { split: 'train', limit: 2 });
    try {
      const text = { tokens: split.tokens as Tensor, lengths: split.lengths as Tensor };
      const bytes = (): number[][] => {
        const output = model.translate({ text }, { to: ['image', 'audio'], n: 2, seed: 5 });
        try {
          assert.deepEqual(output.image?.shape, [4, 3, 64, 64]);
          assert.equal(output.audio?.clips.length, 4);
          return [[...(output.image as Tensor).toFlatArray()], [...(output.audio?.clips[0] ?? [])]];
        } finally {
          disposeOutput(output);
        }
      };
      assert.deepEqual(bytes(), bytes());
      const pictures = (temperature?: number): number[][] => {
        const output = model.translate(
          { text },
          { to: ['image'], n: 2, seed: 5, ...(temperature ? { temperature } : {}) },
        );
        const rows = [0, 1].map((row) => tidy(() => [...(output.image as Tensor).narrow(0, row, 1).toFlatArray()]));
        disposeOutput(output);
        return rows;
      };
      const [first, second] = pictures();
      assert.deepEqual(first, second, "at the run's temperature 0 a row's two draws are its mean");
      const [drawn, redrawn] = pictures(1);
      assert.notDeepEqual(drawn, redrawn, 'at temperature 1 they are draws');
      const sampled = model.sample(3, 2);
      assert.equal(sampled.text?.length, 3);
      disposeOutput(sampled);
    } finally {
      split.dispose();
    }
  } finally {
    model.dispose();
  }
  assert.ok((await readFile(join(runDir, 'autoencoders.json'), 'utf8')).includes('joint-diffusion'));
  assert.equal(memory().tensors, before);
});

test('model.autoencoders naming a run that is not joint-diffusion, or no run, is refused with the fix', async () => {
  await assert.rejects(
    trainJointVae(heldConfig(join(root, 'held-0')), { runDir: join(root, 'refused') }),
    /model.autoencoders.run: .* is a "joint-vae" run; give a trained joint-diffusion run/,
  );
  await assert.rejects(
    trainJointVae(heldConfig(join(root, 'nowhere')), { runDir: join(root, 'refused-2') }),
    /not a readable mmgen run .*train one with/,
  );
});

test('over held autoencoders, exact resume: 20 steps, stop, 20 more give the bytes of 40 uninterrupted steps', async () => {
  const config = heldConfig(source, 0, 40);
  const straight = join(root, 'held-straight');
  const resumed = join(root, 'held-resumed');
  (await trainJointVae(config, { runDir: straight })).model.dispose();
  (await trainJointVae(config, { runDir: resumed, stopAfter: 20 })).model.dispose();
  (await trainJointVae(config, { runDir: resumed, resume: true })).model.dispose();
  for (const file of ['model.safetensors', 'latent-mixture.safetensors'])
    assert.deepEqual(await readFile(join(resumed, file)), await readFile(join(straight, file)), file);
});
