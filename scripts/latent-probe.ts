// How well a joint-diffusion run's latent of one modality keeps an attribute: the training rows' latents
// (its autoencoder, eval mode) fit a two-layer MLP probe for the attribute; the probe's accuracy on the test
// rows, with the confusion table, says whether the latent tells the values apart (a miss there is the
// encoder's; a miss only in the decoded pictures is the decoder's).
//
//   node --import tsx scripts/latent-probe.ts RUN [ATTRIBUTE=shape] [MODALITY=image] [STEPS=3000]
import { readDataset } from '../src/data/format.js';
import { loadJointDiffusionRun } from '../src/models/joint-run.js';
import type { ModalityName } from '../src/models/joint/parts.js';
import { crossEntropy } from '../src/nn/index.js';
import { setNumThreads, tensor } from '../src/tensor/index.js';
import { fitProbe, splitLatents } from './latent-probing.js';

const [run, attribute = 'shape', modality = 'image', stepsArgument = '3000'] = process.argv.slice(2);
if (!run) throw new Error('usage: scripts/latent-probe.ts RUN [ATTRIBUTE] [MODALITY] [STEPS]');
setNumThreads(1);
const diffusion = await loadJointDiffusionRun(run);
const dataset = await readDataset(diffusion.config.dataset);
const found = dataset.info.attributes?.[attribute];
if (!found) throw new Error(`the dataset has no attribute ${attribute}`);
const values: string[] = found;
const train = await splitLatents(diffusion, dataset, modality as ModalityName, 'train');
const test = await splitLatents(diffusion, dataset, modality as ModalityName, 'test');
const labelsOf = (entries: typeof train.entries): number[] =>
  entries.map((entry) => values.indexOf(String(entry.attributes?.[attribute])));
const testLabels = labelsOf(test.entries);
const outputs = fitProbe({
  train: train.latents,
  test: test.latents,
  targets: tensor(BigInt64Array.from(labelsOf(train.entries), BigInt)),
  outputs: values.length,
  loss: crossEntropy,
  steps: Number(stepsArgument),
});
const predicted = Array.from(outputs.argmax(1).toFlatArray(), Number);
const confusion = values.map(() => values.map(() => 0));
predicted.forEach((value, row) => ((confusion[testLabels[row] as number] as number[])[value] as number)++);
const right = predicted.filter((value, row) => value === testLabels[row]).length;
process.stdout.write(
  `${run}: ${modality} latent → ${attribute}, test accuracy ${((100 * right) / predicted.length).toFixed(1)} % of ${predicted.length}\n`,
);
process.stdout.write(`true \\ probed | ${values.join(' | ')}\n`);
values.forEach((value, row) => process.stdout.write(`${value} | ${confusion[row]?.join(' | ')}\n`));
