// Recipe captioner: image → text. A convolutional encoder keeps an 8×8 feature map (with a learned
// embedding per cell, since captions name positions), and the shared attention text decoder writes
// the caption (training and decoding in text-writer.ts).
import { z } from 'zod';
import { FeatureMapEncoder } from '../modalities/image/feature-map-encoder.js';
import { translate } from '../modalities/image/diff-augment.js';
import { fitImages } from '../modalities/image/fit.js';
import { CaptionRetrieval, type RetrievedMemory } from '../modalities/text/caption-retrieval.js';
import type { GenerateTextOptions, GeneratedText } from '../modalities/text/generate.js';
import type { Tokenizer } from '../modalities/text/index.js';
import { Generator, type Tensor, noGrad, rand, tidy } from '../tensor/index.js';
import { TextWriter, textWriterConfig } from './text-writer.js';
import type { ImageShape } from './data-shapes.js';

export const captionerConfig = textWriterConfig('captioner', {
  /** Square side images are resized to (default: the dataset's side, rounded up to a power of two). */
  imageSize: z.number().int().min(16).optional(),
  encoderChannels: z.number().int().positive().default(32),
  featureDim: z.number().int().positive().default(128),
  /** Conv blocks per resolution in the encoder; 2 gives a VGG-like encoder for harder pictures (Fashion-MNIST). */
  encoderDepth: z.number().int().min(1).max(4).default(1),
  /** Training augmentation; off by default because shapes captions name positions (a mirror would lie). */
  augment: z
    .strictObject({
      /** Mirror half the training images left–right. */
      flip: z.boolean().default(false),
      /** Shift training images by up to this many pixels, filling with the background (-1). */
      shift: z.number().int().min(0).default(0),
    })
    .prefault({}),
  /**
   * Retrieval augmentation: the captions of the `neighbours` training images nearest in pooled pixels
   * (keySide² per channel) join the decoder's attention memory, so it can copy their words (0 = off).
   */
  retrieval: z
    .strictObject({
      neighbours: z.number().int().min(0).default(0),
      keySide: z.number().int().min(1).default(16),
    })
    .prefault({}),
});
export type CaptionerConfig = z.output<typeof captionerConfig>;

/** The size of a captioner's retrieval bank (recorded in config.json, so a trained run rebuilds it). */
export interface RetrievalBankSize {
  images: number;
  captionLength: number;
}

export class Captioner extends TextWriter<FeatureMapEncoder> {
  /** shape: the images the encoder reads (channels, side); inputs of other sizes are resized. */
  /** Draws of the training augmentation (saved with checkpoints, so resume stays exact). */
  private readonly augmentRandom: Generator;
  /** The training-caption bank (when model.retrieval.neighbours > 0). */
  readonly retrieval: CaptionRetrieval | undefined;

  constructor(
    readonly config: CaptionerConfig,
    tokenizer: Tokenizer,
    readonly shape: ImageShape,
    bank?: RetrievalBankSize,
  ) {
    const m = config.model;
    const { neighbours, keySide } = m.retrieval;
    if (neighbours > 0 && !bank)
      throw new Error('a captioner with model.retrieval.neighbours > 0 needs the size of its training bank');
    const retrieval =
      neighbours > 0 && bank
        ? new CaptionRetrieval({
            vocabularySize: tokenizer.vocabularySize,
            dim: m.featureDim,
            neighbours,
            bankSize: bank.images,
            captionLength: bank.captionLength,
            keySide,
            channels: shape.channels,
            paddingId: tokenizer.padId,
          })
        : undefined;
    super(
      new FeatureMapEncoder({
        imageSize: shape.size,
        channels: shape.channels,
        baseChannels: m.encoderChannels,
        featureDim: m.featureDim,
        depth: m.encoderDepth,
      }),
      tokenizer,
      {
        training: config.training,
        decoding: config.decoding,
        decoder: {
          memoryDim: m.featureDim,
          embeddingDim: m.embeddingDim,
          hiddenSize: m.hiddenSize,
          dropout: m.dropout,
        },
        ...(retrieval ? { extraModules: { retrieval } } : {}),
      },
    );
    this.retrieval = retrieval;
    this.augmentRandom = new Generator(config.seed + 1);
  }

  /** Retrieval keys [B, K] of images [B, C, H, W] in [-1, 1] (what the bank is filled with and searched by). */
  retrievalKeys(images: Tensor): Tensor {
    const retrieval = this.retrieval;
    if (!retrieval) throw new Error('this captioner has no retrieval bank (model.retrieval.neighbours is 0)');
    return noGrad(() => tidy(() => retrieval.keyOf(this.prepare(images))));
  }

  /** Fills the retrieval bank with the training images' keys (from retrievalKeys) and their texts. */
  fillRetrievalBank(keys: Tensor, texts: readonly string[]): void {
    this.retrieval?.fill(
      keys,
      texts.map((text) => this.tokenizer.encode(text)),
    );
  }

  protected override retrieved(prepared: Tensor, tokens?: Tensor): RetrievedMemory | undefined {
    if (!this.retrieval) return undefined;
    // in training, leave out each image's own caption: test images' captions are never in the bank
    const exclude = tokens
      ? this.captionsOf(tokens).map((caption) => this.retrieval?.groupOfCaption(caption) ?? -1)
      : undefined;
    return this.retrieval.retrieve(prepared, exclude);
  }

  /** Token ids between bos and eos of each row of [B, L]. */
  private captionsOf(tokens: Tensor): number[][] {
    const [rows = 0, length = 0] = tokens.shape;
    const flat = tokens.toFlatArray();
    const { bosId, eosId, padId } = this.tokenizer;
    return Array.from({ length: rows }, (_, row) => {
      const ids: number[] = [];
      for (let position = 0; position < length; position++) {
        const id = Number(flat[row * length + position]);
        if (id === eosId) break;
        if (id !== bosId && id !== padId) ids.push(id);
      }
      return ids;
    });
  }

  override get generators(): Record<string, Generator> {
    return { augment: this.augmentRandom };
  }

  protected override augment(prepared: Tensor): Tensor {
    const { flip, shift } = this.config.model.augment;
    if (!flip && shift === 0) return prepared;
    return tidy(() => {
      let x = prepared;
      if (flip) {
        const mirrored = rand([x.shape[0] ?? 0, 1, 1, 1], { generator: this.augmentRandom })
          .lt(0.5)
          .float();
        x = x
          .flip(3)
          .mul(mirrored)
          .add(x.mul(mirrored.rsub(1)));
      }
      // translate() fills with 0; shifting x + 1 makes the fill the black background
      if (shift > 0) x = translate(x.add(1), this.augmentRandom, shift / this.shape.size).sub(1);
      return x;
    });
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

  override dispose(): void {
    super.dispose();
    this.augmentRandom.dispose();
  }
}
