// Whether a joint-diffusion run's score network draws a caption's picture latents with the spread of the real
// ones: along each principal direction of the training pictures' standardised latents, the variance and mean
// of the training rows with that caption against those of latents drawn from the caption (DDIM, the run's
// sampler settings, one draw each). Equal second moments with wrong pictures point past the spread: at how
// the directions go together.
//
//   node --import tsx scripts/latent-spread.ts RUN "small square" [DRAWS=200] [DIRECTIONS=24]
import { readDataset } from '../src/data/format.js';
import { BatchLoader } from '../src/data/batches.js';
import { loadJointDiffusionRun } from '../src/models/joint-run.js';
import { conditionalLatents } from '../src/models/joint/diffusion-sampling.js';
import { prepareJointInputs } from '../src/models/joint/inputs.js';
import { jointBatchOf, loadJointSplit } from '../src/train/sessions/joint.js';
import { Generator, type Tensor, tensor, tidy } from '../src/tensor/index.js';
import { eigh } from '../src/tensor/linalg.js';

const [run, caption, drawsArgument, directionsArgument] = process.argv.slice(2);
if (!run || !caption) throw new Error('usage: scripts/latent-spread.ts RUN CAPTION [DRAWS] [DIRECTIONS]');
const draws = Number(drawsArgument ?? 200);
const shown = Number(directionsArgument ?? 24);
const diffusion = await loadJointDiffusionRun(run);
const split = await loadJointSplit(await readDataset(diffusion.config.dataset), diffusion, { split: 'train' });
const loader = new BatchLoader(split, { batchSize: 200, seed: 0, imagesAsFloat: true, shuffle: false });
const batches = Math.ceil(split.size / 200);
const latents = diffusion.trainingLatents(
  (function* () {
    for (let batch = 0; batch < batches; batch++) yield jointBatchOf(diffusion.names, loader.next());
  })(),
);
const width = diffusion.autoencoders.latentDim;
const image = diffusion.names.indexOf('image');
const rows = split.entries.flatMap((entry, row) => (entry.text.trim() === caption ? [row] : []));
if (rows.length === 0) throw new Error(`no training row has the caption "${caption}"`);
const prepared = await prepareJointInputs(diffusion, { text: Array<string>(draws).fill(caption) });
const { steps, guidance, eta } = diffusion.config.sampling;
const drawn = conditionalLatents(diffusion.autoencoders, diffusion.averaged, prepared.inputs, draws, 1, {
  steps,
  guidance,
  eta,
  candidates: 1,
  captionWords: false,
  to: ['image'],
  generator: new Generator(7),
});
const values = (tensorValue: Tensor): number[] => Array.from(tensorValue.toFlatArray(), Number);
tidy(() => {
  const all = latents.narrow(1, image * width, width);
  const mean = all.mean(0);
  const centred = all.sub(mean);
  const [eigenvalues, vectors] = eigh(
    centred
      .transpose(0, 1)
      .matmul(centred)
      .div((all.shape[0] ?? 2) - 1),
  );
  const order = values(eigenvalues)
    .map((value, index) => ({ value, index }))
    .sort((a, b) => b.value - a.value);
  const real = all
    .indexSelect(0, tensor(BigInt64Array.from(rows, BigInt)))
    .sub(mean)
    .matmul(vectors);
  const generated = drawn
    .narrow(1, image * width, width)
    .sub(mean)
    .matmul(vectors);
  const realVariance = values(real.var(0));
  const drawnVariance = values(generated.var(0));
  const realMean = values(real.mean(0));
  const drawnMean = values(generated.mean(0));
  process.stdout.write(
    `${rows.length} training rows of "${caption}", ${draws} drawn; guidance ${guidance}, ${steps} steps\n`,
  );
  process.stdout.write('direction | variance over all rows | variance real / drawn | mean real / drawn\n');
  for (const [rank, { value, index }] of order.slice(0, shown).entries())
    process.stdout.write(
      `${rank} | ${value.toFixed(3)} | ${realVariance[index]?.toFixed(3)} / ${drawnVariance[index]?.toFixed(3)} | ${realMean[index]?.toFixed(2)} / ${drawnMean[index]?.toFixed(2)}\n`,
    );
  const rest = order.slice(shown).map(({ index }) => index);
  const sum = (list: number[]): string => rest.reduce((total, index) => total + (list[index] ?? 0), 0).toFixed(4);
  process.stdout.write(
    `the other ${rest.length} directions: variance real ${sum(realVariance)} / drawn ${sum(drawnVariance)}\n`,
  );
});
