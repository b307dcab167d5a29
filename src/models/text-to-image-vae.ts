// Recipe text2image-vae: a conditional VAE for comparison with the GAN. The encoder sees the image and
// the caption, the decoder (the GAN's conditional-BN upsampler) sees the latent and the caption.
// Loss: summed squared error + β·KL, β annealed linearly from 0 (KL annealing avoids posterior collapse).
import { z } from 'zod';
import { Linear, Module, gaussianKl } from '../nn/index.js';
import { Adam, EMA } from '../optim/index.js';
import type { Tokenizer } from '../modalities/text/index.js';
import { ConvEncoder } from '../modalities/image/conv-encoder.js';
import { Generator, type Tensor, cat, randn, tidy } from '../tensor/index.js';
import type { TextBatch } from './prompts.js';
import { TextConditionedGenerator } from './text-conditioned.js';
import { runSettings } from './run-settings.js';
import { type ImageShape, type TextToImageModel, generateFromPrompts } from './text-to-image.js';
import { loadTrainedAndAveraged } from './run-files.js';

export const textToImageVaeConfig = z.strictObject({
  recipe: z.literal('text2image-vae'),
  dataset: z.string().min(1),
  seed: z.number().int().nonnegative().default(0),
  model: z
    .strictObject({
      latentDim: z.number().int().positive().default(32),
      textEmbedding: z.number().int().positive().default(64),
      textHidden: z.number().int().positive().default(128),
      conditionDim: z.number().int().positive().default(128),
      decoderChannels: z.number().int().positive().default(256),
      encoderChannels: z.number().int().positive().default(32),
    })
    .prefault({}),
  training: z
    .strictObject({
      lr: z.number().positive().default(1e-3),
      beta: z.number().min(0).default(1),
      klWarmupSteps: z.number().int().nonnegative().default(1000),
      ...runSettings,
    })
    .prefault({}),
});
export type TextToImageVaeConfig = z.output<typeof textToImageVaeConfig>;

/** Caption encoder + decoder: what generation needs (and what the EMA tracks). */
export class VaeDecoder extends TextConditionedGenerator {
  constructor(config: TextToImageVaeConfig, vocabularySize: number, shape: ImageShape) {
    const m = config.model;
    super({
      vocabularySize,
      textEmbedding: m.textEmbedding,
      textHidden: m.textHidden,
      conditionDim: m.conditionDim,
      latentDim: m.latentDim,
      channels: m.decoderChannels,
      shape,
    });
  }
}

/** Image + caption condition → posterior mean and log-variance. */
export class VaeEncoder extends Module {
  private readonly image: ConvEncoder;
  private readonly posterior: Linear;
  constructor(config: TextToImageVaeConfig, shape: ImageShape) {
    super();
    const m = config.model;
    this.image = this.registerModule(
      'image',
      new ConvEncoder({
        imageSize: shape.size,
        channels: shape.channels,
        outputDim: 256,
        baseChannels: m.encoderChannels,
      }),
    );
    this.posterior = this.registerModule('posterior', new Linear(256 + m.conditionDim, 2 * m.latentDim));
  }
  forward(images: Tensor, condition: Tensor): [Tensor, Tensor] {
    const [mean, logVar] = this.posterior
      .forward(cat([this.image.forward(images).leakyRelu(0.2), condition], 1))
      .chunk(2, 1) as [Tensor, Tensor];
    return [mean, logVar.clamp(-10, 10)];
  }
}

export class TextToImageVae implements TextToImageModel {
  readonly decoder: VaeDecoder;
  readonly encoder: VaeEncoder;
  readonly emaDecoder: VaeDecoder;
  readonly ema: EMA;
  readonly optimizer: Adam;
  readonly trainingRandom: Generator;

  constructor(
    readonly config: TextToImageVaeConfig,
    readonly tokenizer: Tokenizer,
    readonly shape: ImageShape,
  ) {
    this.decoder = new VaeDecoder(config, tokenizer.vocabularySize, shape);
    this.encoder = new VaeEncoder(config, shape);
    this.emaDecoder = new VaeDecoder(config, tokenizer.vocabularySize, shape);
    this.emaDecoder.loadStateDict(this.decoder.stateDict());
    this.emaDecoder.eval();
    this.ema = new EMA(this.decoder, { decay: config.training.emaDecay, warmup: true });
    this.optimizer = new Adam([...this.decoder.parameters(), ...this.encoder.parameters()], { lr: config.training.lr });
    this.trainingRandom = new Generator(config.seed + 1);
  }

  get modules(): Record<string, Module> {
    return { decoder: this.decoder, encoder: this.encoder };
  }
  get optimizers(): Record<string, Adam> {
    return { vae: this.optimizer };
  }
  get emas(): Record<string, EMA> {
    return { decoder: this.ema };
  }
  get generators(): Record<string, Generator> {
    return { training: this.trainingRandom };
  }

  /** β at a step: linear from 0 to config.beta over klWarmupSteps. */
  betaAt(step: number): number {
    const { beta, klWarmupSteps } = this.config.training;
    return klWarmupSteps === 0 ? beta : beta * Math.min(1, step / klWarmupSteps);
  }

  /** One step: the evidence bound's terms (reconstruction, kl) at the annealed β; returns them named, with β. */
  trainStep(images: Tensor, text: TextBatch, step: number): Record<string, number> {
    const beta = this.betaAt(step);
    const { reconstruction, kl } = this.boundStep(images, text, beta);
    this.ema.update();
    return { reconstruction, kl, beta };
  }

  /** One update on the negative evidence bound: summed squared error + β·KL. */
  private boundStep(images: Tensor, text: TextBatch, beta: number): { reconstruction: number; kl: number } {
    return tidy(() => {
      const condition = this.decoder.text.forward(text.tokens, text.lengths);
      const [mean, logVar] = this.encoder.forward(images, condition);
      const latent = mean.add(
        logVar
          .mul(0.5)
          .exp()
          .mul(randn(mean.shape, { generator: this.trainingRandom })),
      );
      const decoded = this.decoder.image.forward(latent, condition);
      const batch = images.shape[0] ?? 1;
      const reconstructionLoss = decoded.sub(images).square().sum().div(batch);
      const klLoss = gaussianKl(mean, logVar, { reduction: 'batchmean' });
      const loss = reconstructionLoss.add(klLoss.mul(beta));
      this.optimizer.zeroGrad();
      loss.backward();
      this.optimizer.step();
      return { reconstruction: reconstructionLoss.item(), kl: klLoss.item() };
    });
  }

  generate(texts: string[], seed: number, options: { useEma?: boolean } = {}): Tensor {
    const network = options.useEma === false ? this.decoder : this.emaDecoder;
    return generateFromPrompts(network, this.tokenizer, texts, seed, this.config.model.latentDim);
  }

  prepareForGeneration(): void {
    this.ema.copyTo(this.emaDecoder);
  }

  loadForGeneration(weights: Map<string, Tensor>): void {
    loadTrainedAndAveraged(weights, 'decoder', this.decoder, this.emaDecoder);
  }

  dispose(): void {
    for (const module of [this.decoder, this.encoder, this.emaDecoder]) module.dispose();
    this.ema.dispose();
    this.optimizer.dispose();
    this.trainingRandom.dispose();
  }
}
