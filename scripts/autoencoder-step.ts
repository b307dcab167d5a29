// Seconds per training step of a joint config's image autoencoder (encode → decode → squared error → backward
// → Adam, batch 32 of 64×64×3, one thread), with the decoder's last doubling a block at full size and a
// sub-pixel convolution, timed in turns in one process so both see the same machine.
//
//   node --import tsx scripts/autoencoder-step.ts [CONFIG=configs/joint-diffusion-shapes.yaml]
import { readConfigFile } from '../src/train/config.js';
import { jointDiffusionConfig } from '../src/models/joint-diffusion.js';
import { PicturePart, noPrivate } from '../src/models/joint/parts.js';
import { Linear } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';
import { Generator, randn, setNumThreads, tidy } from '../src/tensor/index.js';

const config = jointDiffusionConfig.parse(
  await readConfigFile(process.argv[2] ?? 'configs/joint-diffusion-shapes.yaml'),
);
const { latentDim, featureDim, image } = config.model;
setNumThreads(1);
const variants = [false, true].map((subpixel) => {
  const part = new PicturePart({
    name: 'image',
    size: 64,
    channels: 3,
    sharedDim: latentDim,
    privateDim: 0,
    featureDim,
    ...image,
    subpixel,
  });
  const head = new Linear(featureDim, latentDim);
  const optimizer = new Adam([...part.parameters(), ...head.parameters()], { lr: 1e-3 });
  return { name: subpixel ? 'sub-pixel' : 'full-size', part, head, optimizer, seconds: 0 };
});
const pictures = randn([32, 3, 64, 64], { generator: new Generator(0) }).tanh();
const rounds = 6;
const stepsPerRound = 4;
for (let round = 0; round < rounds; round++)
  for (const variant of variants) {
    const started = performance.now();
    for (let step = 0; step < stepsPerRound; step++)
      tidy(() => {
        const latent = variant.head.forward(variant.part.encode(pictures));
        const loss = variant.part.logLikelihood(latent, noPrivate(32), pictures).sum().neg();
        variant.optimizer.zeroGrad();
        loss.backward();
        variant.optimizer.step();
      });
    // the first round warms up
    if (round > 0) variant.seconds += (performance.now() - started) / 1000 / stepsPerRound / (rounds - 1);
  }
const [full, subpixel] = variants as [(typeof variants)[0], (typeof variants)[0]];
process.stdout.write(
  `seconds per step: full-size ${full.seconds.toFixed(3)}, sub-pixel ${subpixel.seconds.toFixed(3)}; ` +
    `the sub-pixel step is ${(full.seconds / subpixel.seconds).toFixed(2)}× cheaper\n`,
);
