// Recipe captioner: image → text. A convolutional encoder keeps an 8×8 feature map (with a learned
// embedding per cell, since captions name positions), and the shared attention text decoder writes
// the caption (training and decoding in text-writer.ts).
import { z } from 'zod';
import { FeatureMapEncoder } from '../modalities/image/feature-map-encoder.js';
import { fitImages } from '../modalities/image/fit.js';
import type { GenerateTextOptions, GeneratedText } from '../modalities/text/generate.js';
import type { Tokenizer } from '../modalities/text/index.js';
import { type Tensor, tidy } from '../tensor/index.js';
import { TextWriter, textWriterConfig } from './text-writer.js';
import type { ImageShape } from './text-to-image.js';

export const captionerConfig = textWriterConfig('captioner', {
  /** Square side images are resized to (default: the dataset's side, rounded up to a power of two). */
  imageSize: z.number().int().min(16).optional(),
  encoderChannels: z.number().int().positive().default(32),
  featureDim: z.number().int().positive().default(128),
});
export type CaptionerConfig = z.output<typeof captionerConfig>;

export class Captioner extends TextWriter<FeatureMapEncoder> {
  /** shape: the images the encoder reads (channels, side); inputs of other sizes are resized. */
  constructor(readonly config: CaptionerConfig, tokenizer: Tokenizer, readonly shape: ImageShape) {
    const m = config.model;
    super(
      new FeatureMapEncoder({ imageSize: shape.size, channels: shape.channels, baseChannels: m.encoderChannels, featureDim: m.featureDim }),
      tokenizer,
      { training: config.training, decoding: config.decoding, decoder: { memoryDim: m.featureDim, embeddingDim: m.embeddingDim, hiddenSize: m.hiddenSize, dropout: m.dropout } },
    );
  }

  /** Images [B, C, H, W] in [-1, 1] of any size/channels → the encoder's input. */
  prepare(images: Tensor): Tensor {
    return fitImages(images, this.shape);
  }

  /** Mean-pooled encoder features [B, D]: a feature space for the nearest-neighbour baseline. */
  features(images: Tensor): Tensor {
    return tidy(() => this.encode(images).mean(1));
  }

  caption(images: Tensor, options: GenerateTextOptions = {}): GeneratedText[] {
    return this.write(images, options);
  }
}
