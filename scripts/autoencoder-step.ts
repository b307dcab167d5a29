// Seconds per training step of a joint config's image autoencoder (encode → decode → squared error → backward
// → Adam, batch 32 of 64×64×3, one thread), variants timed in turns in one process so all see the same machine.
// Without CRITICS: the decoder's last doubling a block at full size against a sub-pixel convolution. With
// CRITICS (widths, e.g. 8,16,32): the config's autoencoder alone against it with the adversarial term's patch
// critic at each width (training.autoencoder.adversarial: the probe at the decoded pixels, the decoder's
// backward from there, the critic's own step). With `grid`: the config's vector latent against a 4×4 grid
// latent (model.imageGrid: 4). With `encoder`: the config's encoder width against twice and four times it
// (model.image.encoderChannels). With `coordinates`: the config's decoder against the same with coordinate
// channels (model.image.coordinates). With `broadcast=SIDE,CHANNELS`: against a decoder that starts from the
// latent broadcast over a SIDE × SIDE grid of CHANNELS channels (model.image.broadcast, decoderChannels). With
// `floor=N,…`: against decoders whose channels never halve below each N (model.image.decoderMinChannels).
//
//   node --import tsx scripts/autoencoder-step.ts [CONFIG=configs/joint-diffusion-shapes.yaml] [CRITICS | grid | encoder | coordinates | broadcast=SIDE,CHANNELS | floor=N,…]
import { readConfigFile } from '../src/train/config.js';
import { jointDiffusionConfig } from '../src/models/joint-diffusion.js';
import { PictureAdversary } from '../src/models/joint/adversarial.js';
import { PicturePart, noPrivate } from '../src/models/joint/parts.js';
import { Linear } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';
import { Generator, ones, randn, setNumThreads, tidy } from '../src/tensor/index.js';

const config = jointDiffusionConfig.parse(
  await readConfigFile(process.argv[2] ?? 'configs/joint-diffusion-shapes.yaml'),
);
const gridMode = process.argv[3] === 'grid';
const encoderMode = process.argv[3] === 'encoder';
const coordinatesMode = process.argv[3] === 'coordinates';
const broadcastMode = process.argv[3]?.startsWith('broadcast=')
  ? process.argv[3].slice(10).split(',').map(Number)
  : undefined;
const floorMode = process.argv[3]?.startsWith('floor=') ? process.argv[3].slice(6).split(',').map(Number) : undefined;
const critics =
  gridMode || encoderMode || coordinatesMode || broadcastMode || floorMode
    ? undefined
    : process.argv[3]?.split(',').map(Number);
const { latentDim, featureDim, image } = config.model;
const batch = 32;
setNumThreads(1);
interface Setting {
  name: string;
  subpixel: boolean;
  width: number;
  grid?: number;
  encoderChannels?: number;
  coordinates?: boolean;
  broadcast?: number;
  decoderChannels?: number;
  decoderMinChannels?: number;
}

/** The variants the mode compares; the others are measured against the first. */
function variantSettings(): Setting[] {
  const subpixel = image.subpixel;
  if (encoderMode)
    return [1, 2, 4].map((times) => ({
      name: `encoder ${image.encoderChannels * times} channels`,
      subpixel,
      width: 0,
      encoderChannels: image.encoderChannels * times,
    }));
  if (broadcastMode) {
    const [side = 16, channels = 64] = broadcastMode;
    return [
      { name: 'config decoder', subpixel, width: 0 },
      {
        name: `broadcast ${side}×${side}×${channels}`,
        subpixel,
        width: 0,
        broadcast: side,
        decoderChannels: channels,
        coordinates: true,
      },
    ];
  }
  if (floorMode)
    return [
      { name: 'config decoder', subpixel, width: 0 },
      ...floorMode.map((floor) => ({
        name: `decoder floor ${floor}`,
        subpixel,
        width: 0,
        decoderMinChannels: floor,
      })),
    ];
  if (coordinatesMode)
    return [false, true].map((coordinates) => ({
      name: coordinates ? 'decoder with coordinates' : 'decoder without coordinates',
      subpixel,
      width: 0,
      coordinates,
    }));
  if (gridMode)
    return [
      { name: 'vector latent', subpixel, width: 0 },
      { name: '4×4 grid latent', subpixel, width: 0, grid: 4 },
    ];
  if (critics)
    return [0, ...critics].map((width) => ({
      name: width > 0 ? `critic ${width}` : 'autoencoder alone',
      subpixel,
      width,
    }));
  return [false, true].map((atSubpixel) => ({
    name: atSubpixel ? 'sub-pixel' : 'full-size',
    subpixel: atSubpixel,
    width: 0,
  }));
}
const settings = variantSettings();
const variants = settings.map(
  ({ name, subpixel, width, grid, encoderChannels, coordinates, broadcast, decoderChannels, decoderMinChannels }) => {
    const part = new PicturePart({
      name: 'image',
      size: 64,
      channels: 3,
      sharedDim: latentDim,
      privateDim: 0,
      featureDim,
      ...image,
      subpixel,
      ...(grid === undefined ? {} : { grid }),
      ...(encoderChannels === undefined ? {} : { encoderChannels }),
      ...(coordinates === undefined ? {} : { coordinates }),
      ...(broadcast === undefined ? {} : { broadcast }),
      ...(decoderChannels === undefined ? {} : { decoderChannels }),
      ...(decoderMinChannels === undefined ? {} : { decoderMinChannels }),
    });
    const head = part.encodesLatent ? undefined : new Linear(featureDim, latentDim);
    const optimizer = new Adam([...part.parameters(), ...(head?.parameters() ?? [])], { lr: 1e-3 });
    const adversarial = { ...config.training.autoencoder.adversarial, weight: 0.5, channels: width };
    const adversary = width > 0 ? new PictureAdversary(adversarial, 3) : undefined;
    return { name, part, head, optimizer, adversary, seconds: 0 };
  },
);
const pictures = randn([batch, 3, 64, 64], { generator: new Generator(0) }).tanh();
const presence = ones([batch]);
const rounds = 6;
const stepsPerRound = 3;
for (let round = 0; round < rounds; round++)
  for (const variant of variants) {
    const started = performance.now();
    for (let step = 0; step < stepsPerRound; step++)
      tidy(() => {
        const features = variant.part.encode(pictures);
        const latent = variant.head ? variant.head.forward(features) : features;
        const decoded = variant.part.decode(latent, noPrivate(batch));
        variant.optimizer.zeroGrad();
        if (!variant.adversary) variant.part.logLikelihoodOf(decoded, pictures).sum().neg().backward();
        else {
          const pixels = decoded.detach().requiresGrad_();
          variant.part.logLikelihoodOf(pixels, pictures).sum().neg().backward();
          const term = variant.adversary.generatorGradient(pixels, pixels.grad ?? pixels.mul(0), presence);
          decoded.backward(term.gradient);
          variant.adversary.criticStep(pictures, decoded, presence);
        }
        variant.optimizer.step();
      });
    // the first round warms up
    if (round > 0) variant.seconds += (performance.now() - started) / 1000 / stepsPerRound / (rounds - 1);
  }
const [first] = variants;
if (!critics && !gridMode && !encoderMode && !coordinatesMode && !broadcastMode && !floorMode) {
  const [full, subpixel] = variants;
  process.stdout.write(
    `seconds per step: full-size ${full?.seconds.toFixed(3)}, sub-pixel ${subpixel?.seconds.toFixed(3)}; ` +
      `the sub-pixel step is ${((full?.seconds ?? 0) / (subpixel?.seconds ?? 1)).toFixed(2)}× cheaper\n`,
  );
} else
  for (const variant of variants)
    process.stdout.write(
      `${variant.name}: ${variant.seconds.toFixed(3)} s per step (${(variant.seconds / (first?.seconds ?? 1)).toFixed(2)}× the ${first?.name})\n`,
    );
