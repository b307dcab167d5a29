// text2image-gan's two networks: the conditional generator (caption encoder + generator) and the projection
// discriminator with a caption encoder of its own.
import { Module } from '../../nn/index.js';
import { CaptionEncoder } from '../../modalities/text/caption-encoder.js';
import { ProjectionDiscriminator } from '../../modalities/image/projection-discriminator.js';
import { LabelClassifier } from '../../modalities/image/label-classifier.js';
import type { Tensor } from '../../tensor/index.js';
import { TextConditionedGenerator } from '../text-conditioned.js';
import type { ImageShape } from '../text-to-image.js';
import type { TextToImageGanConfig } from './config.js';

/** Caption encoder + conditional generator: tokens and noise to images. */
export class GeneratorNetwork extends TextConditionedGenerator {
  constructor(config: TextToImageGanConfig, vocabularySize: number, shape: ImageShape) {
    const m = config.model;
    super({
      vocabularySize,
      textEmbedding: m.textEmbedding,
      textHidden: m.textHidden,
      conditionDim: m.conditionDim,
      latentDim: m.noiseDim,
      channels: m.generatorChannels,
      shape,
      block: m.generatorBlock,
      minChannels: m.generatorMinChannels,
    });
  }
}

/** Caption encoder + projection discriminator. */
export class DiscriminatorNetwork extends Module {
  readonly text: CaptionEncoder;
  readonly image: ProjectionDiscriminator;
  constructor(config: TextToImageGanConfig, vocabularySize: number, shape: ImageShape) {
    super();
    const m = config.model;
    this.text = this.registerModule(
      'text',
      new CaptionEncoder({
        vocabularySize,
        embeddingDim: m.textEmbedding,
        hiddenSize: m.textHidden,
        outputDim: m.conditionDim,
      }),
    );
    const auxiliaryClasses = config.training.wordWeight > 0 && m.classifierChannels === 0 ? vocabularySize : 0;
    this.image = this.registerModule(
      'image',
      new ProjectionDiscriminator({
        imageSize: shape.size,
        channels: shape.channels,
        conditionDim: m.conditionDim,
        baseChannels: m.discriminatorChannels,
        auxiliaryClasses,
        minibatchStdGroup: m.minibatchStd,
      }),
    );
  }
  forward(images: Tensor, condition: Tensor): Tensor {
    return this.image.forward(images, condition);
  }
}

/** A word classifier (model.classifierChannels wide) naming the caption words an image shows. */
export function wordClassifier(
  config: TextToImageGanConfig,
  vocabularySize: number,
  shape: ImageShape,
): LabelClassifier {
  return new LabelClassifier({
    imageSize: shape.size,
    channels: shape.channels,
    labels: vocabularySize,
    baseChannels: config.model.classifierChannels,
  });
}
