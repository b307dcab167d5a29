// A sheet of a joint-diffusion run's picture autoencoder at work: the first 24 test pictures of one size
// (shapes datasets: small, big or any) and, if named, one shape, each over its reconstruction (encode → decode),
// 6 a row, at twice the size. What a person sees of the outlines, where the judge's I→I only says whether they
// read right.
//
//   node --import tsx scripts/reconstructions.ts RUN OUT.png [SIZE=small|big|any] [SHAPE]
import sharp from 'sharp';
import { readDataset } from '../src/data/format.js';
import { BatchLoader } from '../src/data/batches.js';
import { loadJointDiffusionRun } from '../src/models/joint-run.js';
import { PicturePart, noPrivate } from '../src/models/joint/parts.js';
import { jointBatchOf, loadJointSplit } from '../src/train/sessions/joint.js';
import { type Tensor, noGrad, setNumThreads, tidy } from '../src/tensor/index.js';

const [run, out, sizeWanted = 'small', shapeWanted] = process.argv.slice(2);
if (!run || !out) throw new Error('usage: scripts/reconstructions.ts RUN OUT.png [SIZE] [SHAPE]');
setNumThreads(1);
const diffusion = await loadJointDiffusionRun(run);
const dataset = await readDataset(diffusion.config.dataset);
const index = diffusion.names.indexOf('image');
if (index < 0) throw new Error(`${run} has no picture autoencoder`);
const unread = diffusion.names.filter((name) => name !== 'image' && name !== 'text');
diffusion.autoencoders.eval();
const data = await loadJointSplit(dataset, diffusion, { split: 'test', unread, limit: 200 });
const loader = new BatchLoader(data, { batchSize: 200, seed: 0, imagesAsFloat: true, shuffle: false });
const images = jointBatchOf(diffusion.names, loader.next(), unread).data[index] as Tensor;
const picked = data.entries
  .map((entry, row) => ({ entry, row }))
  .filter(({ entry }) => sizeWanted === 'any' || entry.attributes?.size === sizeWanted)
  .filter(({ entry }) => shapeWanted === undefined || entry.attributes?.shape === shapeWanted)
  .slice(0, 24);
if (picked.length === 0)
  throw new Error(
    `no test picture of size ${sizeWanted}${shapeWanted ? ` and shape ${shapeWanted}` : ''} among the first 200`,
  );
const part = diffusion.autoencoders.part('image');
if (!(part instanceof PicturePart)) throw new Error(`${run}'s image part is not a picture autoencoder`);
const rows = images.shape[0] ?? 0;
const decoded = noGrad(() => tidy(() => part.decode(diffusion.autoencoders.encode(index, images), noPrivate(rows))));
const [, channels = 3, size = 64] = images.shape;
const columns = 6;
const width = columns * size;
const height = 2 * Math.ceil(picked.length / columns) * size;
const canvas = new Uint8Array(width * height * 3);
const real = images.toFlatArray();
const drawn = decoded.toFlatArray();
/** Copies picture `row` of `source` ([-1, 1], channel-major) to the canvas at (left, top); grey as RGB. */
const put = (source: number[], row: number, left: number, top: number): void => {
  for (let channel = 0; channel < 3; channel++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const value = source[((row * channels + Math.min(channel, channels - 1)) * size + y) * size + x] ?? 0;
        canvas[((top + y) * width + left + x) * 3 + channel] = Math.max(
          0,
          Math.min(255, Math.round((value + 1) * 127.5)),
        );
      }
};
picked.forEach(({ row }, position) => {
  const left = (position % columns) * size;
  const top = Math.floor(position / columns) * 2 * size;
  put(real, row, left, top);
  put(drawn, row, left, top + size);
});
await sharp(Buffer.from(canvas), { raw: { width, height, channels: 3 } })
  .resize(width * 2, height * 2, { kernel: 'nearest' })
  .png()
  .toFile(out);
process.stdout.write(`${out}: ${picked.map(({ entry }) => String(entry.attributes?.shape)).join(' ')}\n`);
images.dispose();
decoded.dispose();
data.dispose();
