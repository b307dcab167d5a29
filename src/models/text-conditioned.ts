// Pieces the text→image recipes share: the caption-conditioned image network (the GAN's generator and
// the VAE's decoder) and the run settings every recipe's config has.
import { z } from 'zod';
import { timeLimitMinutes } from '../train/config.js';
import { Module } from '../nn/index.js';
import { CaptionEncoder } from '../modalities/text/caption-encoder.js';
import { ConditionalGenerator, type GeneratorBlock } from '../modalities/image/conditional-generator.js';
import type { Tensor } from '../tensor/index.js';
import type { ImageShape } from './data-shapes.js';

/** What every recipe's training loop reads besides steps and batch size: sample, checkpoint and log cadence, limits. */
export const loopSettings = {
  sampleEvery: z.number().int().positive().default(250),
  checkpointEvery: z.number().int().positive().default(500),
  keepLast: z.number().int().positive().default(3),
  logEvery: z.number().int().positive().default(5),
  trainLimit: z.number().int().positive().optional(),
  timeLimitMinutes,
};

/** Training settings of every text→image recipe (spread into its `training` section). */
export const runSettings = {
  steps: z.number().int().positive().default(3000),
  batchSize: z.number().int().positive().default(32),
  emaDecay: z.number().min(0).max(1).default(0.999),
  ...loopSettings,
};

export interface TextConditionedOptions {
  vocabularySize: number;
  textEmbedding: number;
  textHidden: number;
  conditionDim: number;
  latentDim: number;
  channels: number;
  shape: ImageShape;
  block?: GeneratorBlock;
  minChannels?: number;
}

/** Caption encoder + conditional-BN upsampler: (tokens, lengths, latent) → images in [-1, 1]. */
export class TextConditionedGenerator extends Module {
  readonly text: CaptionEncoder;
  readonly image: ConditionalGenerator;
  constructor(options: TextConditionedOptions) {
    super();
    this.text = this.registerModule('text', new CaptionEncoder({ vocabularySize: options.vocabularySize, embeddingDim: options.textEmbedding, hiddenSize: options.textHidden, outputDim: options.conditionDim }));
    this.image = this.registerModule('image', new ConditionalGenerator({
      noiseDim: options.latentDim, conditionDim: options.conditionDim, imageSize: options.shape.size, channels: options.shape.channels, baseChannels: options.channels,
      ...(options.block ? { block: options.block } : {}),
      ...(options.minChannels ? { minChannels: options.minChannels } : {}),
    }));
  }
  forward(tokens: Tensor, lengths: Tensor, latent: Tensor): Tensor {
    return this.image.forward(latent, this.text.forward(tokens, lengths));
  }
}
