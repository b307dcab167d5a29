// The caption-conditioned image network the text→image recipes share (the GAN's generator and the VAE's
// decoder); the run settings every recipe's config has are in run-settings.ts.
import { Module } from '../nn/index.js';
import { CaptionEncoder } from '../modalities/text/caption-encoder.js';
import { ConditionalGenerator, type GeneratorBlock } from '../modalities/image/conditional-generator.js';
import type { Tensor } from '../tensor/index.js';
import type { ImageShape } from './data-shapes.js';

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
    this.text = this.registerModule(
      'text',
      new CaptionEncoder({
        vocabularySize: options.vocabularySize,
        embeddingDim: options.textEmbedding,
        hiddenSize: options.textHidden,
        outputDim: options.conditionDim,
      }),
    );
    this.image = this.registerModule(
      'image',
      new ConditionalGenerator({
        noiseDim: options.latentDim,
        conditionDim: options.conditionDim,
        imageSize: options.shape.size,
        channels: options.shape.channels,
        baseChannels: options.channels,
        ...(options.block ? { block: options.block } : {}),
        ...(options.minChannels ? { minChannels: options.minChannels } : {}),
      }),
    );
  }
  forward(tokens: Tensor, lengths: Tensor, latent: Tensor): Tensor {
    return this.image.forward(latent, this.text.forward(tokens, lengths));
  }
}
