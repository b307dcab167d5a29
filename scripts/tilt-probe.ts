// How well a joint-diffusion run's picture latent keeps each shape's tilt, which no caption names, on a shapes
// dataset: each picture's rotation is drawn again from the
// builder's seeded stream; a two-layer MLP probe fitted on the training rows' latents predicts (cos kθ, sin kθ),
// k the shape's symmetry (square 4, ellipse 2, heart 1); printed: the test rows' mean and median error of θ
// within the symmetry, per size and shape (chance: 22.5° for squares, 45° for ellipses, 90° for hearts). A
// shape drawn as a round blob has a tilt the latent does not keep, or one the decoder does not draw.
//
//   node --import tsx scripts/tilt-probe.ts RUN [STEPS=3000]
import { readDataset } from '../src/data/format.js';
import { BatchLoader } from '../src/data/batches.js';
import { Random } from '../src/data/random.js';
import { sampleSpec } from '../src/data/builders/shapes.js';
import { loadGimpTextures } from '../src/data/builders/textures.js';
import type { BuildContext } from '../src/data/builders/common.js';
import { loadJointDiffusionRun } from '../src/models/joint-run.js';
import { jointBatchOf, loadJointSplit } from '../src/train/sessions/joint.js';
import { Linear, Module, mseLoss } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';
import { type Tensor, cat, noGrad, setNumThreads, tensor, tidy } from '../src/tensor/index.js';

const [run, stepsArgument = '3000'] = process.argv.slice(2);
if (!run) throw new Error('usage: scripts/tilt-probe.ts RUN [STEPS]');
setNumThreads(1);
const diffusion = await loadJointDiffusionRun(run);
const dataset = await readDataset(diffusion.config.dataset);
const index = diffusion.names.indexOf('image');
const unread = diffusion.names.filter((name) => name !== 'image' && name !== 'text');
diffusion.autoencoders.eval();
if (dataset.info.builder !== 'shapes' || dataset.info.options.textures !== 'gimp')
  throw new Error(
    `${diffusion.config.dataset} is not a shapes dataset with GIMP textures; the probe redraws their tilts`,
  );
const textures = loadGimpTextures();
// sampleSpec reads only the context's seeded stream
const context = { random: new Random(dataset.info.seed) } as unknown as BuildContext;
const SYMMETRY: Record<string, number> = { square: 4, ellipse: 2, heart: 1 };

interface Row {
  shape: string;
  size: string;
  symmetry: number;
  target: [number, number];
}

/** Latents [N, D] of a split's pictures, and each row's shape, size and tilt target. */
async function latentsOf(split: 'train' | 'test'): Promise<{ latents: Tensor; rows: Row[] }> {
  const data = await loadJointSplit(dataset, diffusion, { split, unread });
  const loader = new BatchLoader(data, { batchSize: 200, seed: 0, imagesAsFloat: true, shuffle: false });
  const parts: Tensor[] = [];
  for (let batch = 0; batch < Math.ceil(data.size / 200); batch++) {
    const rows = jointBatchOf(diffusion.names, loader.next(), unread);
    parts.push(noGrad(() => diffusion.autoencoders.encode(index, rows.data[index] as Tensor)));
  }
  const rows = data.entries.map((entry): Row => {
    const attributes = (entry.attributes ?? {}) as Record<string, string>;
    const { shape = 'square', size = 'big' } = attributes;
    const rotation = sampleSpec(attributes, context, Number(entry.id.split('-').at(-1)), textures).rotation;
    const symmetry = SYMMETRY[shape] ?? 1;
    return { shape, size, symmetry, target: [Math.cos(symmetry * rotation), Math.sin(symmetry * rotation)] };
  });
  const latents = cat(parts, 0).narrow(0, 0, data.size);
  data.dispose();
  return { latents, rows };
}

class Probe extends Module {
  private readonly hidden = this.registerModule('hidden', new Linear(diffusion.autoencoders.latentDim, 512));
  private readonly inner = this.registerModule('inner', new Linear(512, 512));
  private readonly output = this.registerModule('output', new Linear(512, 2));
  forward(latents: Tensor): Tensor {
    return this.output.forward(this.inner.forward(this.hidden.forward(latents).relu()).relu());
  }
}
const train = await latentsOf('train');
const test = await latentsOf('test');
const mean = train.latents.mean(0);
const spread = train.latents.std(0).add(1e-6);
const [trainInputs, testInputs] = [train, test].map(({ latents }) => latents.sub(mean).div(spread)) as [Tensor, Tensor];
const targets = tensor(Float32Array.from(train.rows.flatMap((row) => row.target))).reshape(train.rows.length, 2);
const probe = new Probe();
const optimizer = new Adam(probe.parameters(), { lr: 1e-3 });
let state = 1;
const pick = (): bigint =>
  BigInt(Math.floor(((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * train.rows.length));
for (let step = 0; step < Number(stepsArgument); step++)
  tidy(() => {
    const picked = tensor(BigInt64Array.from({ length: 256 }, pick));
    const loss = mseLoss(probe.forward(trainInputs.indexSelect(0, picked)), targets.indexSelect(0, picked));
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  });
const predicted = noGrad(() => tidy(() => probe.forward(testInputs))).toFlatArray();
const groups = new Map<string, number[]>();
test.rows.forEach((row, r) => {
  const angle = Math.atan2(predicted[2 * r + 1] ?? 0, predicted[2 * r] ?? 0);
  let difference = Math.abs(angle - Math.atan2(row.target[1], row.target[0]));
  if (difference > Math.PI) difference = 2 * Math.PI - difference;
  const degrees = (difference / row.symmetry) * (180 / Math.PI);
  const key = `${row.size} ${row.shape}`;
  groups.set(key, [...(groups.get(key) ?? []), degrees]);
});
process.stdout.write(
  `${run}: picture latent → tilt, error on the test rows (chance 22.5° square, 45° ellipse, 90° heart)\n`,
);
for (const [key, errors] of [...groups].sort()) {
  const sorted = [...errors].sort((a, b) => a - b);
  const mean = errors.reduce((total, error) => total + error, 0) / errors.length;
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  process.stdout.write(`${key.padEnd(14)} n=${errors.length} mean ${mean.toFixed(1)}° median ${median.toFixed(1)}°\n`);
}
