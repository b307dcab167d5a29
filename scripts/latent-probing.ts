// What the probe scripts share (latent-probe.ts, tilt-probe.ts): a split's latents of one modality from a
// joint-diffusion run's autoencoder (eval mode), and a two-layer MLP probe fitted on the training rows'
// standardised latents and read on the test rows. The probe is a measurement, the same every run: its weights
// start from seed 0 and a seeded linear congruential stream picks its batches.
import type { Dataset, ManifestEntry } from '../src/data/format.js';
import { BatchLoader } from '../src/data/batches.js';
import type { JointDiffusion } from '../src/models/joint-diffusion.js';
import type { ModalityName } from '../src/models/joint/parts.js';
import { jointBatchOf, loadJointSplit } from '../src/train/sessions/joint.js';
import { Linear, Module } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';
import { type Tensor, cat, manualSeed, noGrad, tensor, tidy } from '../src/tensor/index.js';

const CHUNK = 200;

/** Latents [N, D] of a split's rows of `modality` (its autoencoder in eval mode), with the rows' entries. */
export async function splitLatents(
  diffusion: JointDiffusion,
  dataset: Dataset,
  modality: ModalityName,
  split: 'train' | 'test',
): Promise<{ latents: Tensor; entries: ManifestEntry[] }> {
  const index = diffusion.names.indexOf(modality);
  if (index < 0) throw new Error(`the run has no ${modality} autoencoder; it has ${diffusion.names.join(', ')}`);
  const unread = diffusion.names.filter((name) => name !== modality && name !== 'text');
  diffusion.autoencoders.eval();
  const data = await loadJointSplit(dataset, diffusion, { split, unread });
  const loader = new BatchLoader(data, { batchSize: CHUNK, seed: 0, imagesAsFloat: true, shuffle: false });
  const parts: Tensor[] = [];
  for (let batch = 0; batch < Math.ceil(data.size / CHUNK); batch++) {
    const rows = jointBatchOf(diffusion.names, loader.next(), unread);
    parts.push(noGrad(() => diffusion.autoencoders.encode(index, rows.data[index] as Tensor)));
  }
  const latents = cat(parts, 0).narrow(0, 0, data.size);
  const entries = data.entries;
  data.dispose();
  return { latents, entries };
}

class Probe extends Module {
  private readonly hidden: Linear;
  private readonly inner: Linear;
  private readonly output: Linear;

  constructor(inputs: number, outputs: number) {
    super();
    this.hidden = this.registerModule('hidden', new Linear(inputs, 512));
    this.inner = this.registerModule('inner', new Linear(512, 512));
    this.output = this.registerModule('output', new Linear(512, outputs));
  }

  forward(latents: Tensor): Tensor {
    return this.output.forward(this.inner.forward(this.hidden.forward(latents).relu()).relu());
  }
}

/**
 * Fits a probe from the training latents to `targets` (rows aligned with them) under `loss` for `steps`
 * batches of 256, the latents standardised by the training rows' statistics; returns its outputs on the
 * test latents [N_test, outputs].
 */
export function fitProbe(options: {
  train: Tensor;
  test: Tensor;
  targets: Tensor;
  outputs: number;
  loss: (output: Tensor, target: Tensor) => Tensor;
  steps: number;
}): Tensor {
  const { train, test, targets, outputs, loss, steps } = options;
  const rows = train.shape[0] ?? 0;
  const mean = train.mean(0);
  const spread = train.std(0).add(1e-6);
  const [trainInputs, testInputs] = [train, test].map((latents) => latents.sub(mean).div(spread)) as [Tensor, Tensor];
  manualSeed(0);
  const probe = new Probe(train.shape[1] ?? 0, outputs);
  const optimizer = new Adam(probe.parameters(), { lr: 1e-3 });
  let state = 1;
  const pick = (): bigint =>
    BigInt(Math.floor(((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * rows));
  for (let step = 0; step < steps; step++)
    tidy(() => {
      const picked = tensor(BigInt64Array.from({ length: 256 }, pick));
      const value = loss(probe.forward(trainInputs.indexSelect(0, picked)), targets.indexSelect(0, picked));
      optimizer.zeroGrad();
      value.backward();
      optimizer.step();
    });
  return noGrad(() => tidy(() => probe.forward(testInputs)));
}
