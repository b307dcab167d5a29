// joint-diffusion's score network (mmgen side of score.py): the MLP over 3 modalities × 32 latent dims, width
// 512, 4 residual blocks, a sinusoidal time embedding per modality; `score` is one training step (batch 256,
// random times per modality, v-prediction, mean squared error; Adam), `ddim` one DDIM sample of 64 latents at
// 50 steps without gradients.
import { type Tensor, Generator, keep, manualSeed, noGrad, rand, randn, tensor, tidy } from '../../src/tensor/index.js';
import { Adam } from '../../src/optim/index.js';
import {
  alphaBar,
  alphaBarTensor,
  ddimStep,
  estimates,
  noised,
  samplerTimes,
  target,
} from '../../src/models/joint/diffusion.js';
import { ScoreNetwork } from '../../src/models/joint/score-network.js';
import { type BenchModel, minimise } from './types.js';

const MODALITIES = 3;
const LATENT = 32;
const WIDTH = 512;
const BLOCKS = 4;
const FREQUENCIES = 16;
const TRAIN_BATCH = 256;
const SAMPLE_BATCH = 64;
const SAMPLER_STEPS = 50;

function network(seed: number): ScoreNetwork {
  manualSeed(seed);
  return new ScoreNetwork({
    modalities: MODALITIES,
    latentDim: LATENT,
    kind: 'mlp',
    width: WIDTH,
    blocks: BLOCKS,
    timeFrequencies: FREQUENCIES,
    heads: 4,
  });
}

const perDimension = (times: Tensor): Tensor => alphaBarTensor(times).repeatInterleave(LATENT, 1);

export function buildScore(seed: number): BenchModel {
  const model = network(seed);
  const optimizer = new Adam(model, { lr: 1e-3 });
  const data = new Generator(seed + 1);
  const clean = keep(randn([TRAIN_BATCH, MODALITIES * LATENT], { generator: data }));
  return {
    parameters: model.parameterCount(),
    step: () =>
      tidy(() => {
        const times = rand([TRAIN_BATCH, MODALITIES]);
        const alpha = perDimension(times);
        const noise = randn(clean.shape);
        const output = model.forward(noised(clean, noise, alpha), times);
        const loss = output
          .sub(target(clean, noise, alpha, 'v'))
          .square()
          .mean();
        return [minimise(optimizer, loss)];
      }),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      clean.dispose();
      data.dispose();
    },
  };
}

export function buildDdim(seed: number): BenchModel {
  const model = network(seed);
  model.eval();
  const times = samplerTimes(SAMPLER_STEPS);
  return {
    parameters: model.parameterCount(),
    step: () =>
      noGrad(() => {
        let current = randn([SAMPLE_BATCH, MODALITIES * LATENT]);
        for (let index = 0; index < SAMPLER_STEPS; index++) {
          const next = tidy(() => {
            const now = tensor([times[index] as number])
              .expand(SAMPLE_BATCH, MODALITIES)
              .contiguous();
            const alpha = perDimension(now);
            const { clean, noise } = estimates(current, model.forward(current, now), alpha, 'v');
            return ddimStep(clean, noise, tensor([alphaBar(times[index + 1] as number)]));
          });
          current.dispose();
          current = next;
        }
        const value = current.abs().mean().item();
        current.dispose();
        return [value];
      }),
    dispose: () => model.dispose(),
  };
}
