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
import { SHAPE_MOMENTS, momentRSquared } from './moment-reading.js';

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
const read: number[] = [];
const wanted: number[] = [];
for (const batch of loader.epochBatches()) {
  const pictures = jointBatchOf(diffusion.names, batch, unread).data[index] as Tensor;
  noGrad(() =>
    tidy(() => {
      read.push(...head.forward(diffusion.autoencoders.encode(index, pictures)).toFlatArray());
      wanted.push(...colourMoments(pictures, saturation).toFlatArray());
    }),
  );
}
process.stdout.write(`${run}: R² of the moments its head reads from test latents (saturation ${saturation})\n`);
for (const size of ['big', 'small'])
  for (const [name, column, shape] of SHAPE_MOMENTS) {
    const rows = data.entries.flatMap((entry, row) =>
      entry.attributes?.shape === shape && entry.attributes.size === size ? [row] : [],
    );
    const rSquared = momentRSquared(read, wanted, rows, column);
    process.stdout.write(`${size} ${shape}s (${rows.length}): ${name} R² ${rSquared.toFixed(2)}\n`);
  }
