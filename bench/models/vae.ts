// Conv VAE step (mmgen side of vae.py): batch 64 of 64x64x3, four stride-2 convs (16-32-64-128) to 4x4x128,
// latent 64, reparameterisation, four transposed convs back; BCE (sum per image) + KL; Adam.
import { type Tensor, Generator, keep, manualSeed, rand, randn, tidy } from '../../src/tensor/index.js';
import {
  Conv2d,
  ConvTranspose2d,
  Flatten,
  Linear,
  Module,
  ReLU,
  Sequential,
  bceWithLogits,
} from '../../src/nn/index.js';
import { Adam } from '../../src/optim/index.js';
import { type BenchModel, minimise } from './types.js';

const BATCH = 64;
const IMAGE = 64;
const LATENT = 64;

const down = (inChannels: number, outChannels: number): Conv2d =>
  new Conv2d(inChannels, outChannels, 4, { stride: 2, padding: 1 });
const up = (inChannels: number, outChannels: number): ConvTranspose2d =>
  new ConvTranspose2d(inChannels, outChannels, 4, { stride: 2, padding: 1 });

class ConvVae extends Module {
  readonly encoder = this.registerModule(
    'encoder',
    new Sequential(
      down(3, 16),
      new ReLU(),
      down(16, 32),
      new ReLU(),
      down(32, 64),
      new ReLU(),
      down(64, 128),
      new ReLU(),
      new Flatten(),
    ),
  );
  readonly toMean = this.registerModule('to_mean', new Linear(128 * 4 * 4, LATENT));
  readonly toLogVar = this.registerModule('to_log_var', new Linear(128 * 4 * 4, LATENT));
  readonly fromLatent = this.registerModule('from_latent', new Linear(LATENT, 128 * 4 * 4));
  readonly decoder = this.registerModule(
    'decoder',
    new Sequential(up(128, 64), new ReLU(), up(64, 32), new ReLU(), up(32, 16), new ReLU(), up(16, 3)),
  );

  forward(images: Tensor): [Tensor, Tensor, Tensor] {
    const features = this.encoder.forward(images);
    const mean = this.toMean.forward(features);
    const logVar = this.toLogVar.forward(features);
    const latent = mean.add(randn(mean.shape).mul(logVar.mul(0.5).exp()));
    const logits = this.decoder.forward(this.fromLatent.forward(latent).view(-1, 128, 4, 4));
    return [logits, mean, logVar];
  }
}

export function buildVae(seed: number): BenchModel {
  manualSeed(seed);
  const model = new ConvVae();
  const optimizer = new Adam(model, { lr: 1e-3 });
  const data = new Generator(seed + 1);
  const images = keep(rand([BATCH, 3, IMAGE, IMAGE], { generator: data }));
  data.dispose();

  return {
    parameters: model.parameterCount(),
    step: () =>
      tidy(() => {
        const [logits, mean, logVar] = model.forward(images);
        // per-image sums, batch mean: BCE reconstruction + KL(q(z|x) || N(0, I)), written out as in vae.py
        const reconstruction = bceWithLogits(logits, images, { reduction: 'sum' }).div(BATCH);
        const kl = logVar
          .add(1)
          .sub(mean.pow(2))
          .sub(logVar.exp())
          .sum()
          .mul(-0.5 / BATCH);
        const loss = reconstruction.add(kl);
        return [minimise(optimizer, loss)];
      }),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      images.dispose();
    },
  };
}
