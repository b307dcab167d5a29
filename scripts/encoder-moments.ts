// Can a fresh picture encoder learn a shape's geometry from a dataset's pictures, and how soon? A joint
// autoencoder's conv encoder (group norm) and a one-hidden-layer head learn the pictures' colour moments
// (modalities/image/colour-moments.ts, each over its batch spread, as the colour-moments term asks) and nothing
// else; every 2000 steps the test pictures' R² is printed per moment and shape: c_20 on ellipses (their tilt),
// c_40 on squares, c_30 and c_21 on hearts (c_21 tells a heart's point from its lobes). The encoder reads the
// pixels; or (`colour`) each pixel's colour part beside them, as `model.image.encoderColour` has it; or (`coarse`)
// the colour part beside each 8×8 cell's grey, as `encoderGrey: coarse` adds. Seeded: the same arguments print
// the same numbers on one machine.
//
//   node --import tsx scripts/encoder-moments.ts DATASET [pixels|colour|coarse] [STEPS=8000] [SATURATION=0.2] [DEPTH=1]
import { BatchLoader } from '../src/data/batches.js';
import { readDataset } from '../src/data/format.js';
import { loadSplit } from '../src/data/loader.js';
import { COLOUR_MOMENTS, colourMoments } from '../src/modalities/image/colour-moments.js';
import { ConvEncoder } from '../src/modalities/image/conv-encoder.js';
import { Linear } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';
import { type Tensor, manualSeed, noGrad, setNumThreads, tidy } from '../src/tensor/index.js';
import { SHAPE_MOMENTS, momentRSquared } from './moment-reading.js';

const [source, input = 'pixels', stepsArgument = '8000', saturationArgument = '0.2', depthArgument = '1'] =
  process.argv.slice(2);
if (!source || !['pixels', 'colour', 'coarse'].includes(input))
  throw new Error('usage: scripts/encoder-moments.ts DATASET [pixels|colour|coarse] [STEPS] [SATURATION] [DEPTH]');
const [steps, saturation, depth] = [Number(stepsArgument), Number(saturationArgument), Number(depthArgument)];
setNumThreads(1);
manualSeed(0);
const dataset = await readDataset(source);
const image = dataset.info.modalities.image;
if (!image || image.channels < 3) throw new Error(`${source} has no colour pictures; the moments weigh colour`);
const [size, channels] = [image.width, image.channels];
const train = await loadSplit(dataset, { split: 'train', images: 'uint8', audio: false, missing: 'allow' });
const test = await loadSplit(dataset, { split: 'test', images: 'uint8', audio: false, missing: 'allow', limit: 512 });
const loader = new BatchLoader(train, { batchSize: 32, seed: 0, imagesAsFloat: true, shuffle: true });
const testPictures = new BatchLoader(test, {
  batchSize: test.size,
  seed: 0,
  imagesAsFloat: true,
  shuffle: false,
}).next().images as Tensor;
const shapes = test.entries.map((entry) => String(entry.attributes?.shape ?? ''));

const encoder = new ConvEncoder({
  imageSize: size,
  channels,
  outputDim: 256,
  normalization: 'group',
  depth,
  colourPart: input !== 'pixels',
  ...(input === 'coarse' ? { coarseGrey: 8 } : {}),
});
const hidden = new Linear(256, 256);
const output = new Linear(256, COLOUR_MOMENTS);
const predict = (pictures: Tensor): Tensor =>
  output.forward(hidden.forward(encoder.forward(pictures).leakyRelu(0.2)).leakyRelu(0.2));
const optimizer = new Adam([...encoder.parameters(), ...hidden.parameters(), ...output.parameters()], { lr: 3e-4 });

const targets = colourMoments(testPictures, saturation).toFlatArray();
const rowsOf = (shape: string): number[] => shapes.flatMap((name, row) => (name === shape ? [row] : []));

process.stdout.write(
  `${source}: a fresh encoder reading ${input}, depth ${depth}, moments at saturation ${saturation}\n`,
);
let [loss, since] = [0, 0];
for (let step = 1; step <= steps; step++) {
  loss += tidy(() => {
    const pictures = loader.next().images as Tensor;
    const wanted = colourMoments(pictures, saturation);
    const spread = wanted.std(0, true).add(1e-3);
    const value = predict(pictures).sub(wanted).div(spread).square().mean();
    optimizer.zeroGrad();
    value.backward();
    optimizer.step();
    return value.item();
  });
  since++;
  if (step % 2000 !== 0 && step !== steps) continue;
  const predicted = noGrad(() => tidy(() => predict(testPictures).toFlatArray()));
  const read = SHAPE_MOMENTS.map(
    ([name, column, shape]) =>
      `${name} (${shape}s) ${momentRSquared(predicted, targets, rowsOf(shape), column).toFixed(2)}`,
  );
  process.stdout.write(`step ${step}: loss ${(loss / since).toFixed(3)}, test R² ${read.join(', ')}\n`);
  [loss, since] = [0, 0];
}
