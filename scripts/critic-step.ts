// Seconds per training step of a joint config's image autoencoder (batch 32 of 64×64×3, one thread) alone and
// with the adversarial term's patch critic (training.autoencoder.adversarial) at a few widths: the probe of the
// critic at the decoded pixels, the decoder's backward from there, the critic's own step. Timed in turns in one
// process so every variant sees the same machine.
//
//   node --import tsx scripts/critic-step.ts [CONFIG=configs/joint-diffusion-shapes-hour.yaml] [WIDTHS=16,32]
import { readConfigFile } from '../src/train/config.js';
import { jointDiffusionConfig } from '../src/models/joint-diffusion.js';
import { PictureAdversary } from '../src/models/joint/adversarial.js';
import { PicturePart, noPrivate } from '../src/models/joint/parts.js';
import { Linear } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';
import { Generator, ones, randn, setNumThreads, tidy } from '../src/tensor/index.js';

const config = jointDiffusionConfig.parse(
  await readConfigFile(process.argv[2] ?? 'configs/joint-diffusion-shapes-hour.yaml'),
);
const widths = (process.argv[3] ?? '16,32').split(',').map(Number);
const { latentDim, featureDim, image } = config.model;
const { adversarial } = config.training.autoencoder;
setNumThreads(1);
const batch = 32;
const variants = [0, ...widths].map((width) => {
  const part = new PicturePart({
    name: 'image',
    size: 64,
    channels: 3,
    sharedDim: latentDim,
    privateDim: 0,
    featureDim,
    ...image,
  });
  const head = new Linear(featureDim, latentDim);
  const optimizer = new Adam([...part.parameters(), ...head.parameters()], { lr: 1e-3 });
  const adversary = width > 0 ? new PictureAdversary({ ...adversarial, weight: 0.5, channels: width }, 3) : undefined;
  return { name: width > 0 ? `critic ${width}` : 'alone', part, head, optimizer, adversary, seconds: 0 };
});
const pictures = randn([batch, 3, 64, 64], { generator: new Generator(0) }).tanh();
const presence = ones([batch]);
const rounds = 6;
const stepsPerRound = 3;
for (let round = 0; round < rounds; round++)
  for (const variant of variants) {
    const started = performance.now();
    for (let step = 0; step < stepsPerRound; step++)
      tidy(() => {
        const decoded = variant.part.decode(variant.head.forward(variant.part.encode(pictures)), noPrivate(batch));
        variant.optimizer.zeroGrad();
        if (!variant.adversary) {
          variant.part.logLikelihoodOf(decoded, pictures).mean().neg().backward();
        } else {
          const pixels = decoded.detach().requiresGrad_();
          variant.part.logLikelihoodOf(pixels, pictures).mean().neg().backward();
          const term = variant.adversary.generatorGradient(pixels, pixels.grad!, presence);
          decoded.backward(term.gradient);
          variant.adversary.criticStep(pictures, decoded, presence);
        }
        variant.optimizer.step();
      });
    // the first round warms up
    if (round > 0) variant.seconds += (performance.now() - started) / 1000 / stepsPerRound / (rounds - 1);
  }
const alone = variants[0]!.seconds;
for (const variant of variants)
  process.stdout.write(
    `${variant.name}: ${variant.seconds.toFixed(3)} s per step (${(variant.seconds / alone).toFixed(2)}× the autoencoder alone)\n`,
  );
