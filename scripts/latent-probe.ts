// How well a joint-diffusion run's latent of one modality keeps an attribute: the training rows' latents
// (its autoencoder, eval mode) fit a two-layer MLP probe for the attribute; the probe's accuracy on the test
// rows, with the confusion table, says whether the latent tells the values apart (a miss there is the
// encoder's; a miss only in the decoded pictures is the decoder's).
//
//   node --import tsx scripts/latent-probe.ts RUN [ATTRIBUTE=shape] [MODALITY=image] [STEPS=3000]
import { readDataset } from '../src/data/format.js';
import { BatchLoader } from '../src/data/batches.js';
import { loadJointDiffusionRun } from '../src/models/joint-run.js';
import type { ModalityName } from '../src/models/joint/parts.js';
import { jointBatchOf, loadJointSplit } from '../src/train/sessions/joint.js';
import { Linear, Module, crossEntropy } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';
import { type Tensor, cat, noGrad, setNumThreads, tensor, tidy } from '../src/tensor/index.js';

const [run, attribute = 'shape', modality = 'image', stepsArgument = '3000'] = process.argv.slice(2);
if (!run) throw new Error('usage: scripts/latent-probe.ts RUN [ATTRIBUTE] [MODALITY] [STEPS]');
setNumThreads(1);
const diffusion = await loadJointDiffusionRun(run);
const dataset = await readDataset(diffusion.config.dataset);
const index = diffusion.names.indexOf(modality as ModalityName);
if (index < 0) throw new Error(`${run} has no ${modality} autoencoder; it has ${diffusion.names.join(', ')}`);
const found = dataset.info.attributes?.[attribute];
if (!found) throw new Error(`the dataset has no attribute ${attribute}`);
const values: string[] = found;
const unread = diffusion.names.filter((name) => name !== modality && name !== 'text');
diffusion.autoencoders.eval();

/** Latents [N, D] and attribute labels of a split. */
async function latentsOf(split: 'train' | 'test'): Promise<{ latents: Tensor; labels: number[] }> {
  const data = await loadJointSplit(dataset, diffusion, { split, unread });
  const loader = new BatchLoader(data, { batchSize: 200, seed: 0, imagesAsFloat: true, shuffle: false });
  const parts: Tensor[] = [];
  for (let batch = 0; batch < Math.ceil(data.size / 200); batch++) {
    const rows = jointBatchOf(diffusion.names, loader.next(), unread);
    parts.push(noGrad(() => diffusion.autoencoders.encode(index, rows.data[index]!)));
  }
  const labels = data.entries.map((entry) => values.indexOf(String(entry.attributes?.[attribute])));
  const latents = cat(parts, 0).narrow(0, 0, data.size);
  data.dispose();
  return { latents, labels };
}

class Probe extends Module {
  private readonly hidden = this.registerModule('hidden', new Linear(diffusion.autoencoders.latentDim, 512));
  private readonly inner = this.registerModule('inner', new Linear(512, 512));
  private readonly output = this.registerModule('output', new Linear(512, values.length));
  forward(latents: Tensor): Tensor {
    return this.output.forward(this.inner.forward(this.hidden.forward(latents).relu()).relu());
  }
}

const train = await latentsOf('train');
const test = await latentsOf('test');
const mean = train.latents.mean(0);
const spread = train.latents.std(0).add(1e-6);
const [trainInputs, testInputs] = [train, test].map(({ latents }) => latents.sub(mean).div(spread)) as [Tensor, Tensor];
const probe = new Probe();
const optimizer = new Adam(probe.parameters(), { lr: 1e-3 });
const labels = tensor(BigInt64Array.from(train.labels, BigInt));
// a seeded linear congruential stream picks the rows (the probe is a measurement, the same every run)
let state = 1;
const row = (): bigint =>
  BigInt(Math.floor(((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * train.labels.length));
for (let step = 0; step < Number(stepsArgument); step++)
  tidy(() => {
    const picked = tensor(BigInt64Array.from({ length: 256 }, row));
    const loss = crossEntropy(probe.forward(trainInputs.indexSelect(0, picked)), labels.indexSelect(0, picked));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  });
const predicted = Array.from(noGrad(() => tidy(() => probe.forward(testInputs).argmax(1))).toFlatArray(), Number);
const confusion = values.map(() => values.map(() => 0));
predicted.forEach((value, row) => ((confusion[test.labels[row] as number] as number[])[value] as number)++);
const right = predicted.filter((value, row) => value === test.labels[row]).length;
process.stdout.write(
  `${run}: ${modality} latent → ${attribute}, test accuracy ${((100 * right) / predicted.length).toFixed(1)} % of ${predicted.length}\n`,
);
process.stdout.write(`true \\ probed | ${values.join(' | ')}\n`);
values.forEach((value, row) => process.stdout.write(`${value} | ${confusion[row]?.join(' | ')}\n`));
