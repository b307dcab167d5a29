// Recipe joint-vae: one model over text, image and sound (whichever the dataset has). Each modality has an
// encoder and a decoder (models/joint/parts.ts) around a shared latent z, with optional private latents per
// modality; `model.mixing` says how the joint posterior is formed from the modalities' experts (poe, mopoe,
// moe, mmvae+; models/joint/objectives.ts). From any subset of modalities it infers z and decodes the rest;
// from the prior, or a Gaussian mixture fitted on the aggregate posterior, it samples all of them together.
// With `model.autoencoders` the parts read and predict a joint-diffusion run's held autoencoders' latents
// (models/joint/latent-part.ts, held-autoencoders.ts), and those autoencoders draw the outputs.
import { Adam } from '../optim/index.js';
import type { Module } from '../nn/index.js';
import {
  Generator,
  Tensor,
  cat,
  dispose,
  multinomial,
  noGrad,
  ones,
  rand,
  randn,
  stack,
  tensor,
  tidy,
} from '../tensor/index.js';
import { productOfExperts, selectRows } from './joint/experts.js';
import { JointNetwork } from './joint/network.js';
import { MixtureSampler } from './joint/latent-sampler.js';
import { type JointBatch, type JointLosses, jointLoss } from './joint/objectives.js';
import type { JointShapes } from './joint/part-config.js';
import type { JointVaeConfig } from './joint/vae-config.js';
import { type JointOutput, decodeTargets } from './joint/outputs.js';
import { captionBatch } from './joint/captions.js';
import type { JointAutoencoders } from './joint/autoencoders.js';
import type { JointDiffusionConfig } from './joint/diffusion-config.js';
import { drawFromShared, heldAutoencoders, latentInputs } from './joint/held-autoencoders.js';
import type { ModalityData, ModalityName } from './joint/parts.js';
import type { JointInputs, JointModel, TranslateOptions } from './joint/model.js';
import type { SpectrogramCodec } from '../modalities/audio/spectrogram-codec.js';

export { type JointVaeConfig, jointVaeConfig } from './joint/vae-config.js';

export type { JointInputs, TranslateOptions };

export class JointVae implements JointModel {
  readonly recipe = 'joint-vae' as const;
  readonly network: JointNetwork;
  readonly optimizer: Adam;
  readonly trainingRandom: Generator;
  /** Fitted on the training posteriors when training ends (saved as latent-mixture.safetensors). */
  readonly sampler: MixtureSampler;

  /** With `model.autoencoders`: that run's autoencoders, held (models/joint/held-autoencoders.ts). */
  readonly autoencoders: JointAutoencoders | undefined;

  /** `source`: with `model.autoencoders`, the config of the joint-diffusion run they come from. */
  constructor(
    readonly config: JointVaeConfig,
    readonly shapes: JointShapes,
    source?: JointDiffusionConfig,
  ) {
    const m = config.model;
    if (m.autoencoders && !source)
      throw new Error(`model.autoencoders: the config of ${m.autoencoders.run} is needed to build its autoencoders`);
    this.autoencoders = m.autoencoders && source ? heldAutoencoders(source, shapes) : undefined;
    const held = this.autoencoders;
    const latents =
      m.autoencoders && held
        ? { latentDim: held.latentDim, hidden: m.autoencoders.hidden, weight: m.autoencoders.weight, codec: held.codec }
        : undefined;
    this.network = new JointNetwork(
      { parts: m, sharedDim: m.latentDim, privateDim: m.privateDim, ...(latents ? { latents } : {}) },
      shapes,
    );
    this.sampler = new MixtureSampler(config.sampling.components, m.latentDim);
    this.optimizer = new Adam(this.network.parameters(), { lr: config.training.lr });
    this.trainingRandom = new Generator(config.seed + 1);
  }

  readonly reconstructsOnly = false;

  get names(): ModalityName[] {
    return this.network.names;
  }
  get codec(): SpectrogramCodec | undefined {
    return this.network.codec;
  }
  get dataset(): string {
    return this.config.dataset;
  }
  samplingSource(): string {
    const source =
      this.config.sampling.latent === 'mixture' && this.sampler.isFitted
        ? 'the latent mixture fitted on the training posteriors'
        : 'the prior';
    return this.config.sampling.through === 'text'
      ? `${source} (a caption first, the rest translated from it)`
      : source;
  }
  get modules(): Record<string, Module> {
    return { network: this.network, ...(this.autoencoders ? { autoencoders: this.autoencoders } : {}) };
  }
  get optimizers(): Record<string, Adam> {
    return { joint: this.optimizer };
  }
  get generators(): Record<string, Generator> {
    return { training: this.trainingRandom };
  }

  /** β at a step: linear from 0 to training.beta over klWarmupSteps. */
  betaAt(step: number): number {
    const { beta, klWarmupSteps } = this.config.training;
    return klWarmupSteps === 0 ? beta : beta * Math.min(1, step / klWarmupSteps);
  }

  /** The joint loss of a batch under the configured mixing, without a step (for tests and eval). */
  losses(batch: JointBatch, beta: number): JointLosses {
    const m = this.config.model;
    const posteriors = this.network.parts.map((_, index) =>
      this.network.posterior(index, batch.data[index] as ModalityData),
    );
    return jointLoss(this.network, batch, posteriors, this.trainingRandom, {
      mixing: m.mixing,
      estimator: m.estimator,
      samples: m.samples,
      poeSubsets: m.poeSubsets,
      beta,
    });
  }

  trainStep(batch: JointBatch, step: number): Record<string, number> {
    const beta = this.betaAt(step);
    this.network.train();
    const { reconstruction, kl } = tidy(() => {
      const losses = this.losses(batch, beta);
      this.optimizer.zeroGrad();
      losses.loss.backward();
      this.optimizer.step();
      return { reconstruction: losses.reconstruction, kl: losses.kl };
    });
    return { reconstruction, kl, beta };
  }

  /**
   * Shared latents [R·n, Z] for R input rows given some modalities: the product of their experts (poe,
   * mopoe) or a draw from one of them (moe, mmvae+), n draws per row, row-major.
   */
  inferShared(inputs: JointInputs, n: number, generator: Generator, temperature: number): Tensor {
    const given = this.names.filter((name) => inputs[name] !== undefined);
    if (given.length === 0) throw new Error(`give at least one input (this run reads ${this.names.join(', ')})`);
    return noGrad(() =>
      tidy(() => {
        this.network.eval();
        const experts = given.map((name) => {
          const index = this.network.indexOf(name);
          const part = this.network.part(name);
          const data = inputs[name] as ModalityData;
          const rows = rowCount(data);
          const repeated = part.pick(
            data,
            tensor(BigInt64Array.from({ length: rows * n }, (_, i) => BigInt(Math.floor(i / n)))),
          );
          return this.network.posterior(index, repeated).shared;
        });
        const total = experts[0]?.mean.shape[0] ?? 0;
        const draw = (mean: Tensor, logVar: Tensor): Tensor =>
          mean.add(logVar.mul(0.5).exp().mul(randn(mean.shape, { generator })).mul(temperature));
        if (this.config.model.mixing === 'poe' || this.config.model.mixing === 'mopoe') {
          const product = productOfExperts(
            experts,
            experts.map(() => ones([total])),
          );
          return draw(product.mean, product.logVar);
        }
        const draws = experts.map((expert) => draw(expert.mean, expert.logVar));
        if (draws.length === 1) return draws[0] as Tensor;
        const choice = rand([total], { generator })
          .mul(draws.length)
          .floor()
          .clamp(0, draws.length - 1)
          .long();
        return selectRows(draws, choice);
      }),
    );
  }

  /**
   * Fits the latent mixture on the training posteriors: per row, the mean of the product of its present
   * modalities' experts (poe, mopoe) or of one present modality's expert (moe, mmvae+). Returns the fit's
   * mean log-likelihood.
   */
  fitSampler(batches: Iterable<JointBatch>, seed: number): number {
    const generator = new Generator(seed);
    const means: Tensor[] = [];
    try {
      this.network.eval();
      for (const batch of batches) {
        means.push(
          noGrad(() =>
            tidy(() => {
              const experts = this.network.parts.map(
                (_, index) => this.network.posterior(index, batch.data[index] as ModalityData).shared,
              );
              if (this.config.model.mixing === 'poe' || this.config.model.mixing === 'mopoe')
                return productOfExperts(experts, batch.presence).mean;
              const choice = multinomial(stack(batch.presence, 1).add(1e-9), 1, false, generator).reshape(-1);
              return selectRows(
                experts.map((expert) => expert.mean),
                choice,
              );
            }),
          ),
        );
      }
      const points = cat(means, 0);
      try {
        return this.sampler.fit(points, seed);
      } finally {
        points.dispose();
      }
    } finally {
      for (const value of means) value.dispose();
      generator.dispose();
    }
  }

  /** Any non-empty subset of modalities in → the requested modalities out; the same seed gives the same bytes. */
  translate(inputs: JointInputs, options: TranslateOptions): JointOutput {
    const n = options.n ?? 1;
    const generator = new Generator(options.seed ?? 0);
    const held = this.autoencoders;
    const read = held ? latentInputs(held, inputs) : inputs;
    try {
      const shared = this.inferShared(read, n, generator, options.temperature ?? this.config.sampling.temperature);
      try {
        return this.decodeShared(shared, options.to, generator, options.seed ?? 0);
      } finally {
        shared.dispose();
      }
    } finally {
      if (read !== inputs) dispose(Object.values(read));
      generator.dispose();
    }
  }

  /**
   * n joint samples of every modality (or of `to`), from the fitted mixture when configured (and fitted), else
   * the prior; with `sampling.through: text`, a caption is sampled so and the rest translated from it.
   */
  sample(n: number, seed = 0, to: readonly ModalityName[] = this.names): JointOutput {
    if (this.config.sampling.through === 'none') return this.sampleLatents(n, seed, to);
    const captions = this.sampleLatents(n, seed, ['text']).text ?? [];
    const rest = to.filter((name) => name !== 'text');
    const written = to.includes('text') ? { text: captions } : {};
    if (rest.length === 0) return written;
    const tokens = captionBatch(this.shapes.tokenizer, captions);
    try {
      return { ...this.translate({ text: tokens }, { to: rest, seed: seed + 1 }), ...written };
    } finally {
      dispose(tokens);
    }
  }

  /** n joint samples of `to` decoded from shared latents drawn from the mixture or the prior. */
  private sampleLatents(n: number, seed: number, to: readonly ModalityName[]): JointOutput {
    const generator = new Generator(seed);
    try {
      const fromMixture = this.config.sampling.latent === 'mixture' && this.sampler.isFitted;
      const shared = fromMixture
        ? this.sampler.sample(n, generator)
        : randn([n, this.network.sharedDim], { generator });
      try {
        return this.decodeShared(shared, to, generator, seed);
      } finally {
        shared.dispose();
      }
    } finally {
      generator.dispose();
    }
  }

  /** The `to` modalities from shared latents: by the parts' decoders, or through the held autoencoders'. */
  private decodeShared(shared: Tensor, to: readonly ModalityName[], generator: Generator, seed: number): JointOutput {
    const { decoding } = this.config;
    return this.autoencoders
      ? drawFromShared(this.network, this.autoencoders, shared, to, generator, decoding, seed)
      : decodeTargets(this.network, () => shared, to, generator, decoding, seed);
  }

  dispose(): void {
    this.autoencoders?.dispose();
    this.network.dispose();
    this.sampler.dispose();
    this.optimizer.dispose();
    this.trainingRandom.dispose();
  }
}

/** Rows of a modality's data. */
export function rowCount(data: ModalityData): number {
  return (data instanceof Tensor ? data.shape[0] : data.tokens.shape[0]) ?? 0;
}
