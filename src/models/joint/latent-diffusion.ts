// Multimodal latent diffusion (Bounoua, Franzese & Michiardi 2024) over M modalities' standardised latents
// of D dimensions each: one diffusion time per modality. In training a row either noises every modality at
// one shared time, or holds a random non-empty subset clean (time 0) as the condition and noises the rest;
// a share of conditioned rows drops the condition (its modalities at time 1, pure noise) so classifier-free
// guidance has an unconditional score. The loss counts only the noised dimensions. Sampling is DDIM, with
// any subset held at its given latents, which come back unchanged.
import { Module } from '../../nn/index.js';
import { type Generator, type Tensor, cat, noGrad, rand, randn, tensor, tidy, zeros } from '../../tensor/index.js';
import {
  type Prediction,
  alphaBar,
  alphaBarTensor,
  checkGuidance,
  ddimStep,
  ddimSigma,
  estimates,
  noised,
  samplerTimes,
  target,
} from './diffusion.js';
import { ScoreNetwork, type ScoreNetworkOptions } from './score-network.js';

export interface LatentDiffusionOptions extends Omit<ScoreNetworkOptions, 'modalities' | 'latentDim'> {
  modalities: number;
  latentDim: number;
  prediction: Prediction;
  /** Share of training rows that hold a random subset clean as the condition. */
  conditionProbability: number;
  /** Share of conditioned rows whose condition is dropped (for classifier-free guidance). */
  dropProbability: number;
}

export interface DiffusionLosses {
  loss: Tensor;
  score: number;
}

export interface SampleOptions {
  /** Which modalities are given (held at `given`'s values): one flag per modality. */
  held: readonly boolean[];
  steps: number;
  /** Classifier-free guidance weight w: (1 + w)·conditional − w·unconditional (0 = off). */
  guidance: number;
  /** DDIM's stochasticity η: 0 deterministic, 1 ancestral (fresh noise each step). */
  eta?: number;
  generator: Generator;
}

export class LatentDiffusion extends Module {
  readonly network: ScoreNetwork;

  constructor(readonly options: LatentDiffusionOptions) {
    super();
    this.network = this.registerModule('network', new ScoreNetwork(options));
  }

  /** Per-row, per-modality flags [B, M] → per-dimension [B, M·D]. */
  private perDimension(values: Tensor): Tensor {
    return values.repeatInterleave(this.options.latentDim, 1);
  }

  /** One flag per modality as a row [1, M] (1 = true). */
  private flags(values: readonly boolean[]): Tensor {
    return tensor(
      Float32Array.from(values, (value) => (value ? 1 : 0)),
      { shape: [1, this.options.modalities] },
    );
  }

  /** Random non-empty proper subsets [B, M] (1 = held clean), from the generator. */
  private randomSubsets(rows: number, generator: Generator): Tensor {
    const count = this.options.modalities;
    const choices = (1 << count) - 2;
    if (choices < 1) return tensor(new Float32Array(rows * count), { shape: [rows, count] });
    const picks = rand([rows], { generator }).toFlatArray();
    const flags = new Float32Array(rows * count);
    picks.forEach((pick, row) => {
      const subset = 1 + Math.min(choices - 1, Math.floor(pick * choices));
      for (let m = 0; m < count; m++) flags[row * count + m] = subset & (1 << m) ? 1 : 0;
    });
    return tensor(flags, { shape: [rows, count] });
  }

  /** The denoising loss of clean latents [B, M·D]; `rowsPresent` [B, M] (1 = the row has the modality) limits the loss. */
  losses(clean: Tensor, generator: Generator, rowsPresent?: Tensor): DiffusionLosses {
    const { conditionProbability, dropProbability, prediction } = this.options;
    return tidy(() => {
      const rows = clean.shape[0] ?? 0;
      const conditioned = rand([rows, 1], { generator }).lt(conditionProbability).float();
      const held = this.randomSubsets(rows, generator).mul(conditioned);
      const dropped = rand([rows, 1], { generator }).lt(dropProbability).float();
      const shared = rand([rows, 1], { generator }).mul(0.999).add(0.001);
      // noised modalities at the row's time; held ones at 0, or at 1 when the condition is dropped
      const times = shared.mul(held.rsub(1)).add(held.mul(dropped));
      const alpha = this.perDimension(alphaBarTensor(times));
      const noise = randn(clean.shape, { generator });
      const current = noised(clean, noise, alpha);
      const output = this.network.forward(current, times);
      let counted = this.perDimension(held.rsub(1));
      if (rowsPresent) counted = counted.mul(this.perDimension(rowsPresent));
      const squared = output
        .sub(target(clean, noise, alpha, prediction))
        .square()
        .mul(counted);
      const loss = squared.sum().div(counted.sum().clamp(1));
      return { loss, score: loss.item() };
    });
  }

  /**
   * How badly the network recovers the `noised` modalities of latents [B, M·D] from the others, held clean: the
   * squared error of its noise estimate over the `counted` modalities' dimensions (one flag per modality each),
   * summed over `times`, with the caller's noise [B, M·D] (candidates for one output share it, so their errors
   * compare). Low = the held modalities explain the counted ones (a diffusion classifier's score). Eval mode.
   */
  denoisingError(
    latents: Tensor,
    modalities: { noised: readonly boolean[]; counted: readonly boolean[] },
    times: readonly number[],
    noise: Tensor,
  ): Tensor {
    const count = this.options.modalities;
    if (modalities.noised.length !== count || modalities.counted.length !== count)
      throw new Error(`denoisingError: flags for ${modalities.noised.length} modalities, the network has ${count}`);
    const rows = latents.shape[0] ?? 0;
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() =>
        tidy(() => {
          const noisedFlags = this.flags(modalities.noised);
          const counted = this.perDimension(this.flags(modalities.counted).mul(noisedFlags));
          return times.reduce(
            (total, time) => {
              const timeRow = noisedFlags.mul(time).expand(rows, count).contiguous();
              const alpha = this.perDimension(alphaBarTensor(timeRow));
              const current = noised(latents, noise, alpha);
              const output = this.network.forward(current, timeRow);
              const estimate = estimates(current, output, alpha, this.options.prediction).noise;
              return total.add(estimate.sub(noise).square().mul(counted).sum(1));
            },
            zeros([rows]),
          );
        }),
      );
    } finally {
      this.train(wasTraining);
    }
  }

  /** DDIM from noise to latents [B, M·D]; the held modalities stay at `given`'s values (the rest of `given` is ignored). */
  sample(given: Tensor, options: SampleOptions): Tensor {
    const { modalities, prediction } = this.options;
    if (options.held.length !== modalities)
      throw new Error(`sample: ${options.held.length} held flags for ${modalities} modalities`);
    checkGuidance(options.guidance);
    const times = samplerTimes(options.steps);
    const rows = given.shape[0] ?? 0;
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() => {
        const heldFlags = this.flags(options.held);
        const heldDims = this.perDimension(heldFlags);
        const free = heldDims.rsub(1);
        let current = tidy(() =>
          given.mul(heldDims).add(randn(given.shape, { generator: options.generator }).mul(free)),
        );
        try {
          for (let index = 0; index < times.length - 1; index++) {
            const now = times[index] as number;
            const next = times[index + 1] as number;
            const step = tidy(() => {
              const timeRow = heldFlags.rsub(1).mul(now).expand(rows, modalities).contiguous();
              const alpha = this.perDimension(alphaBarTensor(timeRow));
              let output = this.network.forward(current, timeRow);
              if (options.guidance > 0 && options.held.some(Boolean)) {
                // the condition dropped: held modalities at time 1, with noise in place of their latents
                const droppedTimes = timeRow.add(heldFlags.expand(rows, modalities));
                const droppedInput = current
                  .mul(free)
                  .add(randn(given.shape, { generator: options.generator }).mul(heldDims));
                const unconditional = this.network.forward(droppedInput, droppedTimes);
                output = output.mul(1 + options.guidance).sub(unconditional.mul(options.guidance));
              }
              const { clean, noise } = estimates(current, output, alpha, prediction);
              const nextAlpha = alphaBar(next);
              const sigma = ddimSigma(alphaBar(now), nextAlpha, options.eta ?? 0);
              const fresh =
                sigma > 0 ? { sigma, noise: randn(given.shape, { generator: options.generator }) } : undefined;
              const updated = next <= 0 ? clean : ddimStep(clean, noise, tensor([nextAlpha]), fresh);
              return updated.mul(free).add(given.mul(heldDims));
            });
            current.dispose();
            current = step;
          }
          return current;
        } catch (error) {
          current.dispose();
          throw error;
        } finally {
          heldFlags.dispose();
          heldDims.dispose();
          free.dispose();
        }
      });
    } finally {
      this.train(wasTraining);
    }
  }
}

/** Concatenates per-modality latents [B, D] into [B, M·D]. */
export const joinLatents = (parts: readonly Tensor[]): Tensor => cat([...parts], 1);
