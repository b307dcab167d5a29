// Recipe joint-diffusion (multimodal latent diffusion, Bounoua et al. 2024): a deterministic autoencoder per
// modality (joint-vae's encoders and decoders; models/joint/autoencoders.ts) keeps each modality sharp, and one
// score network over the concatenated standardised latents, with a diffusion time per modality, learns how
// the modalities go together (models/joint/latent-diffusion.ts). Two stages in one run: the autoencoders,
// then the score network. Any subset is a condition held clean; the rest is sampled by DDIM and decoded.
import { Adam, EMA, stageRate } from '../optim/index.js';
import type { Module } from '../nn/index.js';
import type { SpectrogramCodec } from '../modalities/audio/spectrogram-codec.js';
import { Generator, type Tensor, cat, tidy } from '../tensor/index.js';
import { JointAutoencoders } from './joint/autoencoders.js';
import { redrawnWordsGradient } from './joint/caption-words.js';
import { PictureAdversary } from './joint/adversarial.js';
import { LatentDiffusion } from './joint/latent-diffusion.js';
import type { JointInputs, JointModel, SampleOptions, TranslateOptions } from './joint/model.js';
import { checkSampling, conditionalLatents, givenLatents, jointLatents } from './joint/diffusion-sampling.js';
import type { JointBatch } from './joint/objectives.js';
import { type JointOutput, decodeTargets } from './joint/outputs.js';
import type { JointDiffusionConfig } from './joint/diffusion-config.js';
import { StagePlan } from './joint/stage-plan.js';
import type { JointShapes } from './joint/part-config.js';
import type { ModalityData, ModalityName, TokenBatch } from './joint/parts.js';

export { type JointDiffusionConfig, jointDiffusionConfig } from './joint/diffusion-config.js';

export class JointDiffusion implements JointModel {
  readonly recipe = 'joint-diffusion' as const;
  readonly autoencoders: JointAutoencoders;
  readonly diffusion: LatentDiffusion;
  readonly averaged: LatentDiffusion;
  readonly ema: EMA;
  readonly autoencoderOptimizer: Adam;
  readonly scoreOptimizer: Adam;
  readonly trainingRandom: Generator;
  /** Which autoencoders the first stage trains and for how many steps; where the score network's stage begins. */
  readonly plan: StagePlan;
  /** The picture autoencoder's critic, when `training.autoencoder.adversarial` is on and it trains here. */
  readonly adversary: PictureAdversary | undefined;

  constructor(
    readonly config: JointDiffusionConfig,
    readonly shapes: JointShapes,
  ) {
    const m = config.model;
    this.autoencoders = JointAutoencoders.of(config, shapes);
    this.plan = new StagePlan(config.training, this.autoencoders.names);
    const diffusionOptions = {
      modalities: this.autoencoders.names.length,
      latentDim: m.latentDim,
      // a grid picture latent: one transformer token per cell
      tokens: this.autoencoders.names.map((name) => (name === 'image' && m.imageGrid ? m.imageGrid ** 2 : 1)),
      ...m.score,
      prediction: m.prediction,
      conditionProbability: m.conditionProbability,
      dropProbability: m.dropProbability,
    };
    this.diffusion = new LatentDiffusion(diffusionOptions);
    this.averaged = new LatentDiffusion(diffusionOptions);
    this.averaged.loadStateDict(this.diffusion.stateDict());
    this.ema = new EMA(this.diffusion, { decay: config.training.score.emaDecay, warmup: true });
    // every autoencoder when none trains here (the optimiser never steps then, and it keeps the checkpoint's layout)
    const trained = this.plan.trainedAutoencoders;
    const learning = config.training.autoencoder.decodersOnly
      ? this.autoencoders.holdEncoders(trained ?? [])
      : this.autoencoders.parametersOf(trained?.length ? trained : undefined);
    this.autoencoderOptimizer = new Adam(learning, { lr: config.training.autoencoder.lr });
    this.scoreOptimizer = new Adam(this.diffusion.parameters(), { lr: config.training.score.lr });
    this.trainingRandom = new Generator(config.seed + 1);
    const adversarial = config.training.autoencoder.adversarial;
    this.adversary =
      adversarial.weight > 0 && shapes.image && this.plan.trainsHere('image')
        ? new PictureAdversary(adversarial, shapes.image.channels)
        : undefined;
  }

  get reconstructsOnly(): boolean {
    return !this.autoencoders.hasStatistics;
  }
  get names(): ModalityName[] {
    return this.autoencoders.names;
  }
  get codec(): SpectrogramCodec | undefined {
    return this.autoencoders.codec;
  }
  get dataset(): string {
    return this.config.dataset;
  }
  get modules(): Record<string, Module> {
    const critic: Record<string, Module> = this.adversary ? { critic: this.adversary.discriminator } : {};
    return { autoencoders: this.autoencoders, diffusion: this.diffusion, ...critic };
  }
  get optimizers(): Record<string, Adam> {
    const critic: Record<string, Adam> = this.adversary ? { critic: this.adversary.optimizer } : {};
    return { autoencoder: this.autoencoderOptimizer, score: this.scoreOptimizer, ...critic };
  }
  get emas(): Record<string, EMA> {
    return { diffusion: this.ema };
  }
  get generators(): Record<string, Generator> {
    return { training: this.trainingRandom };
  }

  /** First-stage step `step` (1-based): each autoencoder still training, on its own data. */
  autoencoderStep(batch: JointBatch, step: number): Record<string, number> {
    this.autoencoders.train();
    this.autoencoderOptimizer.lr = stageRate(this.config.training.autoencoder, this.plan.autoencoderSteps, step - 1);
    const training = this.plan.autoencodersAt(step);
    const adversary = this.adversary?.activeAt(step) && training.includes('image') ? this.adversary : undefined;
    const stage = this.config.training.autoencoder;
    const redrawn = stage.redrawnWords;
    const redraws = redrawn.weight > 0 && step > redrawn.start && training.includes('image');
    return tidy(() => {
      const { loss, perModality, words, moments, pictures } = this.autoencoders.reconstructionLoss(
        batch.data,
        batch.presence,
        this.config.model.latentNoise,
        this.trainingRandom,
        {
          only: training,
          atPixels: adversary || redraws ? ['image'] : [],
          // the heads' terms train the encoders, which decodersOnly holds
          captionWords: stage.decodersOnly ? 0 : stage.captionWords,
          colourMoments: stage.decodersOnly ? 0 : stage.colourMoments,
          momentsSaturation: stage.momentsSaturation,
        },
      );
      this.autoencoderOptimizer.zeroGrad();
      // the caption-words term reaches the encoder too, whose graph the pictures' own backward walks again
      const encoderTerms = Object.keys(words).length + Object.keys(moments).length;
      loss.backward(undefined, { retainGraph: pictures.size > 0 && encoderTerms > 0 });
      const losses = Object.fromEntries([
        ...Object.entries(perModality).map(([name, value]) => [`reconstruction_${name}`, value]),
        ...Object.entries(words).map(([name, value]) => [`words_${name}`, value]),
        ...Object.entries(moments).map(([name, value]) => [`moments_${name}`, value]),
      ]);
      const image = pictures.get('image');
      if (!image) {
        this.autoencoderOptimizer.step();
        return losses;
      }
      // the picture's gradient stopped at its pixels; the pixel-level terms add to it before it goes on
      const index = this.autoencoders.indexOf('image');
      const presence = batch.presence[index] as Tensor;
      let gradient = image.pixels.grad as Tensor;
      if (redraws) {
        const text = this.autoencoders.indexOf('text');
        const captions = batch.data[text] as TokenBatch;
        const both = presence.mul(batch.presence[text] as Tensor);
        const wordsOf = (pixels: Tensor): Tensor => this.autoencoders.heldCaptionWords(index, pixels, captions, both);
        const term = redrawnWordsGradient(wordsOf, image.decoded, gradient, redrawn.weight);
        gradient = term.gradient;
        losses.redrawn_words = term.redrawn;
      }
      if (adversary) {
        const term = adversary.generatorGradient(image.decoded, gradient, presence);
        gradient = term.gradient;
        losses.adversarial = term.adversarial;
        losses.balance = term.balance;
      }
      image.decoded.backward(gradient);
      this.autoencoderOptimizer.step();
      if (adversary) losses.critic = adversary.criticStep(batch.data[index] as Tensor, image.decoded, presence);
      return losses;
    });
  }

  /** Standardised latents [N, M·D] of batches (sets the standardisation from them first if it is not set). */
  trainingLatents(batches: Iterable<JointBatch>): Tensor {
    this.autoencoders.eval();
    const parts: Tensor[] = [];
    try {
      for (const batch of batches) parts.push(this.autoencoders.encodeAll(batch.data));
      const raw = cat(parts, 0);
      try {
        if (!this.autoencoders.hasStatistics) this.autoencoders.setStatistics(raw);
        return this.autoencoders.standardise(raw);
      } finally {
        raw.dispose();
      }
    } finally {
      for (const part of parts) part.dispose();
    }
  }

  /** Step `step` of the run (1-based; the second stage's steps follow the first's) on standardised latents [B, M·D]. */
  scoreStep(latents: Tensor, step: number): Record<string, number> {
    this.diffusion.train();
    const stage = this.config.training.score;
    this.scoreOptimizer.lr = stageRate(stage, stage.steps, step - this.plan.autoencoderSteps - 1);
    const score = tidy(() => {
      const losses = this.diffusion.losses(latents, this.trainingRandom);
      this.scoreOptimizer.zeroGrad();
      losses.loss.backward();
      this.scoreOptimizer.step();
      return losses.score;
    });
    this.ema.update();
    return { score };
  }

  /** Copies the averaged score network into the one sampling uses. */
  prepareForGeneration(): void {
    this.ema.copyTo(this.averaged);
  }

  private checkTrained(): void {
    if (!this.autoencoders.hasStatistics) {
      throw new Error(
        "this run's score network never trained (its second stage has not started); train it with `mmgen train --resume RUN`, or a new config with training.autoencoder.from: RUN",
      );
    }
  }

  /** Decodes standardised latents into the `to` modalities. */
  private decode(standardised: Tensor, to: readonly ModalityName[], generator: Generator, seed: number): JointOutput {
    const raw = new Map<ModalityName, Tensor>();
    try {
      for (const name of to)
        if (this.names.includes(name))
          raw.set(name, this.autoencoders.rawOf(standardised, this.autoencoders.indexOf(name)));
      return decodeTargets(
        this.autoencoders,
        (name) => raw.get(name) as Tensor,
        to,
        generator,
        this.config.decoding,
        seed,
      );
    } finally {
      for (const value of raw.values()) value.dispose();
    }
  }

  translate(inputs: JointInputs, options: TranslateOptions): JointOutput {
    const given = this.names.filter((name) => inputs[name] !== undefined);
    if (given.length === 0) throw new Error(`give at least one input (this run reads ${this.names.join(', ')})`);
    for (const name of options.to)
      if (!this.names.includes(name))
        throw new Error(
          `this run cannot produce ${name} (its modalities: ${this.names.join(', ')}); choose --to from ${this.names.join(', ')}`,
        );
    // every output given: a round trip through its autoencoder, which needs no score network
    const reconstruction = options.to.every((name) => inputs[name] !== undefined);
    if (!reconstruction) this.checkTrained();
    const first = inputs[given[0] as ModalityName] as ModalityData;
    const rows = ('tokens' in first ? first.tokens : first).shape[0] ?? 0;
    const seed = options.seed ?? 0;
    const generator = new Generator(seed);
    try {
      const sampling = {
        steps: options.steps ?? this.config.sampling.steps,
        guidance: options.guidance ?? this.config.sampling.guidance,
        eta: options.eta ?? this.config.sampling.eta,
        candidates: options.candidates ?? this.config.sampling.candidates,
        captionWords: options.captionWords ?? this.config.sampling.captionWords,
      };
      checkSampling(sampling);
      const latents = reconstruction
        ? givenLatents(this.autoencoders, inputs, rows, options.n ?? 1)
        : conditionalLatents(this.autoencoders, this.averaged, inputs, rows, options.n ?? 1, {
            ...sampling,
            to: options.to,
            generator,
          });
      try {
        return this.decode(latents, options.to, generator, seed);
      } finally {
        latents.dispose();
      }
    } finally {
      generator.dispose();
    }
  }

  sample(n: number, seed = 0, to: readonly ModalityName[] = this.names, options: SampleOptions = {}): JointOutput {
    this.checkTrained();
    const sampling = {
      steps: this.config.sampling.steps,
      guidance: 0,
      eta: options.eta ?? this.config.sampling.eta,
      candidates: options.candidates ?? this.config.sampling.candidates,
      captionWords: options.captionWords ?? this.config.sampling.captionWords,
    };
    checkSampling(sampling);
    const generator = new Generator(seed);
    try {
      const latents = jointLatents(this.autoencoders, this.averaged, n, {
        ...sampling,
        to,
        generator,
      });
      try {
        return this.decode(latents, to, generator, seed);
      } finally {
        latents.dispose();
      }
    } finally {
      generator.dispose();
    }
  }

  samplingSource(): string {
    const { steps, candidates, captionWords } = this.config.sampling;
    const words = captionWords && this.autoencoders.readsWords ? ' by the score network and the caption words' : '';
    return `the score network (DDIM, ${steps} steps${candidates > 1 ? `, the most coherent of ${candidates} draws${words}` : ''})`;
  }

  dispose(): void {
    for (const module of [this.autoencoders, this.diffusion, this.averaged]) module.dispose();
    this.ema.dispose();
    this.autoencoderOptimizer.dispose();
    this.scoreOptimizer.dispose();
    this.trainingRandom.dispose();
    this.adversary?.dispose();
  }
}
