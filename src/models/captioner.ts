// Recipe captioner: image → text. A convolutional encoder keeps an 8×8 feature map (with a learned
// embedding per cell), and the shared attention text decoder (modalities/text) writes the caption.
// Trained with teacher forcing and label-smoothed cross-entropy, AdamW with warmup and cosine decay,
// gradient clipping. Captions come from greedy decoding, beam search or seeded sampling.
import { z } from 'zod';
import { Module, crossEntropy } from '../nn/index.js';
import { AdamW, clipGradNorm, cosineSchedule } from '../optim/index.js';
import { FeatureMapEncoder } from '../modalities/image/feature-map-encoder.js';
import { AttentionDecoder } from '../modalities/text/attention-decoder.js';
import { type GenerateTextOptions, type GeneratedText, type TextGenerator, generateText } from '../modalities/text/generate.js';
import type { Tokenizer } from '../modalities/text/index.js';
import { fitImages } from '../modalities/image/fit.js';
import { type Tensor, noGrad, tidy } from '../tensor/index.js';
import type { ImageShape } from './text-to-image.js';

export const decodingConfig = z.strictObject({
  /** Beam width used by eval and `mmgen caption` unless told otherwise (1 = greedy). */
  beam: z.number().int().positive().default(3),
  maxLength: z.number().int().positive().default(24),
  lengthPenalty: z.number().min(0).default(0.6),
}).prefault({});

/** Training settings of a text-producing recipe (captioner, transcriber). */
export const textTrainingConfig = z.strictObject({
  steps: z.number().int().positive().default(1500),
  batchSize: z.number().int().positive().default(64),
  lr: z.number().positive().default(2e-3),
  weightDecay: z.number().min(0).default(1e-4),
  warmupSteps: z.number().int().nonnegative().default(100),
  labelSmoothing: z.number().min(0).max(0.5).default(0.1),
  clipNorm: z.number().positive().default(1),
  sampleEvery: z.number().int().positive().default(250),
  checkpointEvery: z.number().int().positive().default(500),
  keepLast: z.number().int().positive().default(3),
  logEvery: z.number().int().positive().default(5),
  trainLimit: z.number().int().positive().optional(),
}).prefault({});

export const captionerConfig = z.strictObject({
  recipe: z.literal('captioner'),
  dataset: z.string().min(1),
  seed: z.number().int().nonnegative().default(0),
  model: z.strictObject({
    /** Square side images are resized to (default: the dataset's side, rounded up to a power of two). */
    imageSize: z.number().int().min(16).optional(),
    encoderChannels: z.number().int().positive().default(32),
    featureDim: z.number().int().positive().default(128),
    embeddingDim: z.number().int().positive().default(64),
    hiddenSize: z.number().int().positive().default(256),
    dropout: z.number().min(0).max(0.9).default(0.1),
  }).prefault({}),
  training: textTrainingConfig,
  decoding: decodingConfig,
});
export type CaptionerConfig = z.output<typeof captionerConfig>;

/** The image network and the decoder, saved as `encoder.*` and `decoder.*`. */
export class Captioner implements TextGenerator {
  readonly encoder: FeatureMapEncoder;
  readonly decoder: AttentionDecoder;
  readonly optimizer: AdamW;
  private readonly schedule: (step: number) => number;

  /** shape: the images the model reads (channels, side) after fitImages. */
  constructor(readonly config: CaptionerConfig, readonly tokenizer: Tokenizer, readonly shape: ImageShape) {
    const m = config.model;
    this.encoder = new FeatureMapEncoder({ imageSize: shape.size, channels: shape.channels, baseChannels: m.encoderChannels, featureDim: m.featureDim });
    this.decoder = new AttentionDecoder({ vocabularySize: tokenizer.vocabularySize, memoryDim: m.featureDim, embeddingDim: m.embeddingDim, hiddenSize: m.hiddenSize, dropout: m.dropout, paddingId: tokenizer.padId });
    const t = config.training;
    this.optimizer = new AdamW([...this.encoder.parameters(), ...this.decoder.parameters()], { lr: t.lr, weightDecay: t.weightDecay });
    this.schedule = cosineSchedule({ totalSteps: t.steps, warmupSteps: Math.min(t.warmupSteps, t.steps), minFactor: 0.02 });
  }

  get modules(): Record<string, Module> {
    return { encoder: this.encoder, decoder: this.decoder };
  }
  get optimizers(): Record<string, AdamW> {
    return { captioner: this.optimizer };
  }

  /** Images in [-1, 1] of any size/channels → what the encoder reads. */
  fit(images: Tensor): Tensor {
    return fitImages(images, this.shape);
  }

  /** One step of teacher forcing: images [B, C, H, W] in [-1, 1], tokens [B, L] = bos … eos pad. */
  trainStep(images: Tensor, tokens: Tensor, step: number): Record<string, number> {
    const t = this.config.training;
    this.optimizer.lr = t.lr * this.schedule(step - 1);
    this.encoder.train();
    this.decoder.train();
    const [loss, norm] = tidy(() => {
      const length = tokens.shape[1] ?? 0;
      const logits = this.decoder.forward(this.encoder.forward(this.fit(images)), tokens.narrow(1, 0, length - 1));
      const value = crossEntropy(logits, tokens.narrow(1, 1, length - 1).contiguous(), { ignoreIndex: this.tokenizer.padId, labelSmoothing: t.labelSmoothing });
      this.optimizer.zeroGrad();
      value.backward();
      const gradientNorm = clipGradNorm(this.optimizer.parameters(), t.clipNorm);
      this.optimizer.step();
      return [value.item(), gradientNorm];
    });
    return { loss, gradNorm: norm, lr: this.optimizer.lr };
  }

  /** The encoder's feature map [B, N, D] of images in [-1, 1] (eval mode, no gradients). */
  encode(images: Tensor): Tensor {
    this.encoder.eval();
    return noGrad(() => tidy(() => this.encoder.forward(this.fit(images))));
  }

  /** Mean-pooled encoder features [B, D]: the space of the emoji nearest-neighbour baseline. */
  features(images: Tensor): Tensor {
    return tidy(() => this.encode(images).mean(1));
  }

  /** Captions of images in [-1, 1]; unset options come from the config's decoding section. */
  caption(images: Tensor, options: GenerateTextOptions = {}): GeneratedText[] {
    const memory = this.encode(images);
    try {
      return generateText(this, memory, { ...this.config.decoding, ...options });
    } finally {
      memory.dispose();
    }
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.optimizer.dispose();
  }
}
