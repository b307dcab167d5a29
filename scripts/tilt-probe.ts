// How well a joint-diffusion run's picture latent keeps each shape's tilt, which no caption names, on a shapes
// dataset: each picture's rotation is drawn again from the
// builder's seeded stream; a two-layer MLP probe fitted on the training rows' latents predicts (cos kθ, sin kθ),
// k the shape's symmetry (square 4, ellipse 2, heart 1); printed: the test rows' mean and median error of θ
// within the symmetry, per size and shape (chance: 22.5° for squares, 45° for ellipses, 90° for hearts). A
// shape drawn as a round blob has a tilt the latent does not keep, or one the decoder does not draw.
//
//   node --import tsx scripts/tilt-probe.ts RUN [STEPS=3000]
import { readDataset } from '../src/data/format.js';
import { Random } from '../src/data/random.js';
import { sampleSpec } from '../src/data/builders/shapes.js';
import { loadGimpTextures } from '../src/data/builders/textures.js';
import type { BuildContext } from '../src/data/builders/common.js';
import { loadJointDiffusionRun } from '../src/models/joint-run.js';
import { mseLoss } from '../src/nn/index.js';
import { setNumThreads, tensor } from '../src/tensor/index.js';
import { fitProbe, splitLatents } from './latent-probing.js';

const [run, stepsArgument = '3000'] = process.argv.slice(2);
if (!run) throw new Error('usage: scripts/tilt-probe.ts RUN [STEPS]');
setNumThreads(1);
const diffusion = await loadJointDiffusionRun(run);
const dataset = await readDataset(diffusion.config.dataset);
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

/** Each entry's shape, size and tilt target (cos kθ, sin kθ), its rotation drawn again as the builder drew it. */
const rowsOf = (entries: Awaited<ReturnType<typeof splitLatents>>['entries']): Row[] =>
  entries.map((entry): Row => {
    const attributes = (entry.attributes ?? {}) as Record<string, string>;
    const { shape = 'square', size = 'big' } = attributes;
    const rotation = sampleSpec(attributes, context, Number(entry.id.split('-').at(-1)), textures).rotation;
    const symmetry = SYMMETRY[shape] ?? 1;
    return { shape, size, symmetry, target: [Math.cos(symmetry * rotation), Math.sin(symmetry * rotation)] };
  });

const train = await splitLatents(diffusion, dataset, 'image', 'train');
const test = await splitLatents(diffusion, dataset, 'image', 'test');
const trainRows = rowsOf(train.entries);
const testRows = rowsOf(test.entries);
const predicted = fitProbe({
  train: train.latents,
  test: test.latents,
  targets: tensor(Float32Array.from(trainRows.flatMap((row) => row.target))).reshape(trainRows.length, 2),
  outputs: 2,
  loss: mseLoss,
  steps: Number(stepsArgument),
}).toFlatArray();
const groups = new Map<string, number[]>();
testRows.forEach((row, r) => {
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
