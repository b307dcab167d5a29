// How well a joint-diffusion run's picture latent keeps each shape's geometry: its own colour-moments head
// (training.autoencoder.colourMoments) reads the test pictures' latents, and the R² of each moment that tells a
// shape's tilt is printed per size and shape, against the moments the head was trained on (the run's
// momentsSaturation): c_20 on ellipses, c_40 on squares, c_30 and c_21 on hearts (c_21 tells a heart's point from
// its lobes, c_30 only its three corners).
//
//   node --import tsx scripts/moments-read.ts RUN
import { readDataset } from '../src/data/format.js';
import { BatchLoader } from '../src/data/batches.js';
import { colourMoments } from '../src/modalities/image/colour-moments.js';
import { loadJointDiffusionRun } from '../src/models/joint-run.js';
import { jointBatchOf, loadJointSplit } from '../src/train/sessions/joint.js';
import { type Tensor, noGrad, setNumThreads, tidy } from '../src/tensor/index.js';

const [run] = process.argv.slice(2);
if (!run) throw new Error('usage: scripts/moments-read.ts RUN');
setNumThreads(1);
const diffusion = await loadJointDiffusionRun(run);
const index = diffusion.names.indexOf('image');
const head = diffusion.autoencoders.momentsHead(index);
if (!head) throw new Error(`${run} has no colour-moments head: train it with training.autoencoder.colourMoments`);
const saturation = diffusion.config.training.autoencoder.momentsSaturation;
const dataset = await readDataset(diffusion.config.dataset);
const unread = diffusion.names.filter((name) => name !== 'image' && name !== 'text');
diffusion.autoencoders.eval();
const data = await loadJointSplit(dataset, diffusion, { split: 'test', unread });
const loader = new BatchLoader(data, { batchSize: 200, seed: 0, imagesAsFloat: true, shuffle: false, dropLast: false });
const read: number[][] = [];
const wanted: number[][] = [];
for (const batch of loader.epochBatches()) {
  const pictures = jointBatchOf(diffusion.names, batch, unread).data[index] as Tensor;
  noGrad(() =>
    tidy(() => {
      const rows = pictures.shape[0] ?? 0;
      const [got, truth] = [
        head.forward(diffusion.autoencoders.encode(index, pictures)),
        colourMoments(pictures, saturation),
      ];
      const [gotValues, truthValues] = [got.toFlatArray(), truth.toFlatArray()];
      const width = got.shape[1] ?? 0;
      for (let row = 0; row < rows; row++) {
        read.push(Array.from(gotValues.slice(row * width, (row + 1) * width)));
        wanted.push(Array.from(truthValues.slice(row * width, (row + 1) * width)));
      }
    }),
  );
}
// (moment, its first column in MOMENT_ORDERS' layout, the shape it is read on)
const MOMENTS: [string, number, string][] = [
  ['c_20', 0, 'ellipse'],
  ['c_40', 8, 'square'],
  ['c_30', 4, 'heart'],
  ['c_21', 2, 'heart'],
];
process.stdout.write(`${run}: R² of the moments its head reads from test latents (saturation ${saturation})\n`);
for (const size of ['big', 'small'])
  for (const [name, column, shape] of MOMENTS) {
    const rows = data.entries.flatMap((entry, row) =>
      entry.attributes?.shape === shape && entry.attributes?.size === size && row < read.length ? [row] : [],
    );
    let [residual, total] = [0, 0];
    for (const part of [column, column + 1]) {
      const mean = rows.reduce((sum, row) => sum + (wanted[row]?.[part] ?? 0), 0) / rows.length;
      for (const row of rows) {
        const target = wanted[row]?.[part] ?? 0;
        residual += ((read[row]?.[part] ?? 0) - target) ** 2;
        total += (target - mean) ** 2;
      }
    }
    process.stdout.write(`${size} ${shape}s (${rows.length}): ${name} R² ${(1 - residual / total).toFixed(2)}\n`);
  }
