// Whether the picture autoencoder pulls a joint-diffusion run's drawn pictures back to the data: pictures are
// drawn for one caption (one draw each), decoded, and sent through encode → decode again a few times; after
// each pass the dataset's judge reads every attribute, and the counts of each value are printed.
//
//   node --import tsx scripts/round-trips.ts RUN "small square" [DRAWS=200] [TRIPS=3] [ETA=0]
import { join } from 'node:path';
import { loadJointDiffusionRun } from '../src/models/joint-run.js';
import { conditionalLatents } from '../src/models/joint/diffusion-sampling.js';
import { prepareJointInputs } from '../src/models/joint/inputs.js';
import { PicturePart, noPrivate } from '../src/models/joint/parts.js';
import { Judge } from '../src/models/judge.js';
import { Generator, type Tensor, noGrad, tidy } from '../src/tensor/index.js';

const [run, caption, drawsArgument, tripsArgument, etaArgument] = process.argv.slice(2);
if (!run || !caption) throw new Error('usage: scripts/round-trips.ts RUN CAPTION [DRAWS] [TRIPS] [ETA]');
const draws = Number(drawsArgument ?? 200);
const trips = Number(tripsArgument ?? 3);
const diffusion = await loadJointDiffusionRun(run);
const judge = await Judge.load(join(diffusion.config.dataset, 'judge'));
const { autoencoders } = diffusion;
const image = autoencoders.indexOf('image');
const part = autoencoders.part('image');
if (!(part instanceof PicturePart)) throw new Error('the run has no picture autoencoder');
const prepared = await prepareJointInputs(diffusion, { text: Array<string>(draws).fill(caption) });
const { steps, guidance } = diffusion.config.sampling;
const latents = conditionalLatents(autoencoders, diffusion.averaged, prepared.inputs, draws, 1, {
  steps,
  guidance,
  eta: Number(etaArgument ?? 0),
  candidates: 1,
  captionWords: false,
  to: ['image'],
  generator: new Generator(7),
});
autoencoders.eval();
noGrad(() =>
  tidy(() => {
    let raw: Tensor = autoencoders.rawOf(latents, image);
    for (let trip = 0; trip <= trips; trip++) {
      const pictures = part.decode(raw, noPrivate(draws));
      const read = [...judge.run(pictures).predictions].map(([attribute, values]) => {
        const names = judge.info.attributes[attribute] ?? [];
        const counts = names.map((_, value) => values.filter((predicted) => predicted === value).length);
        return `${attribute} ${names.map((name, value) => `${name} ${counts[value]}`).join(', ')}`;
      });
      process.stdout.write(
        `${trip === 0 ? 'drawn' : `after ${trip} round trip${trip > 1 ? 's' : ''}`}: ${read.join('; ')}\n`,
      );
      raw = autoencoders.encode(image, pictures);
    }
  }),
);
