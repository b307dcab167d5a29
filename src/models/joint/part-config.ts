// The per-modality settings of a joint recipe's config, and building the parts from them for the
// modalities a dataset has. Shared by joint-vae and joint-diffusion.
import { z } from 'zod';
import type { Tokenizer } from '../../modalities/text/index.js';
import type { SpectrogramCodec } from '../../modalities/audio/spectrogram-codec.js';
import { spectrogramConfig, makeCodec, type AudioShape } from '../text-to-audio.js';
import type { ImageShape } from '../data-shapes.js';
import { workingSize } from '../../modalities/image/working-size.js';
import { DEFAULT_MIN_CHANNELS } from '../../modalities/image/conditional-generator.js';
import { type ModalityName, type ModalityPart, PicturePart, TextPart } from './parts.js';

const pictureSettings = {
  encoderChannels: z.number().int().positive().default(32),
  /**
   * Conv blocks per resolution of the picture encoder (1–4): the first halves the picture, the others refine at
   * that size, residually.
   */
  encoderDepth: z.number().int().min(1).max(4).default(1),
  /**
   * The picture encoder also reads each pixel's colour part (less its mean over the channels; colour pictures):
   * a grey texture has none, so a coloured shape's outline stands out of it (with the moments of the shape's
   * mask, its latent came to keep a heart's point: RESULTS.md).
   */
  encoderColour: z.boolean().default(false),
  /**
   * With encoderColour, the grey the encoder reads beside the colour part: `full`, the pixels themselves; `coarse`,
   * each 8×8 cell's average grey, so a background's light or dark stays and its texture's grain, which slows
   * learning a shape's geometry (scripts/encoder-moments.ts), goes.
   */
  encoderGrey: z.enum(['full', 'coarse']).default('full'),
  /** Channels at 4×4 in the decoder; halved per upsampling. */
  decoderChannels: z.number().int().positive().default(256),
  /**
   * The decoder's channels are never halved below this: its finest levels draw the outlines (a small shape's
   * corners, a heart's cleft), and halving leaves them the fewest channels. Absent: the decoder's own floor, 16 channels.
   */
  decoderMinChannels: z.number().int().positive().optional(),
  block: z.enum(['plain', 'residual']).default('plain'),
  /**
   * The decoder's last doubling as a sub-pixel convolution (a 3×3 conv at half size to 4× the channels,
   * rearranged into 2×2 pixels) instead of a block at full size: about half the decoder's cost.
   */
  subpixel: z.boolean().default(false),
  /** Each decoder conv also reads every pixel's coordinates (CoordConv), so it knows where it draws an outline. */
  coordinates: z.boolean().default(false),
  /**
   * The decoder starts from the latent broadcast over a grid of this side beside each cell's coordinates, refined
   * there by residual blocks (a spatial broadcast decoder), in place of a linear map to 4×4; `decoderChannels` are
   * then the channels at that grid. Absent: the linear start.
   */
  broadcast: z.union([z.literal(8), z.literal(16), z.literal(32)]).optional(),
  /** The encoder's normalisation: group norm reads a single input the same way in training and at inference. */
  encoderNorm: z.enum(['batch', 'group']).default('group'),
  /** Likelihood weight: log p = −weight · Σ (x − x̂)² over pixels (Σ |x − x̂| for laplace). */
  weight: z.number().positive().default(1),
  /** gaussian (squared error) or laplace (absolute error: keeps edges sharper than the squared error's blur). */
  likelihood: z.enum(['gaussian', 'laplace']).default('gaussian'),
  /**
   * Weight of the same distance again at a quarter of the resolution (4×4 averages, counted per full-size pixel):
   * it weighs outlines above a texture no latent can keep, whose pixel-level error otherwise drowns them.
   */
  coarseWeight: z.number().min(0).default(0),
  /**
   * Weight of the error's colour part again (each pixel's error less its mean over the channels; colour pictures
   * only): a grey texture no latent can keep has none, so a coloured object's outline is no longer drowned by it.
   */
  chromaWeight: z.number().min(0).default(0),
};

export const partsConfig = z.strictObject({
  /** Width of every encoder's feature vector (before the posterior heads). */
  featureDim: z.number().int().positive().default(256),
  image: z
    .strictObject(pictureSettings)
    .superRefine((image, context) => {
      if (image.encoderGrey === 'coarse' && !image.encoderColour)
        context.addIssue({
          code: 'custom',
          path: ['encoderGrey'],
          message:
            "encoderGrey: coarse is the grey beside the colour part: set model.image.encoderColour: true, or leave encoderGrey at 'full'",
        });
    })
    .prefault({}),
  audio: z
    .strictObject({
      ...pictureSettings,
      /**
       * 'picture': the image networks over a square spectrogram; 'sequence': 1-D convolutions along the frames,
       * the mel bands as channels (spectrogram.size bands, spectrogram.frames frames; the channel settings are
       * then the widths at full time resolution, doubled per halving; `block`, `subpixel` and `encoderNorm` are
       * the picture network's).
       */
      network: z.enum(['picture', 'sequence']).default('picture'),
      spectrogram: spectrogramConfig
        .extend({
          /** Frames kept, when not `size` (a square, which the picture network draws); the sequence network takes any multiple of 16. */
          frames: z.number().int().positive().optional(),
        })
        .prefault({}),
    })
    .superRefine((audio, context) => {
      const frames = audio.spectrogram.frames;
      if (audio.network === 'picture' && frames !== undefined && frames !== audio.spectrogram.size)
        context.addIssue({
          code: 'custom',
          path: ['spectrogram', 'frames'],
          message: `the picture network draws square spectrograms: frames (${frames}) must equal size (${audio.spectrogram.size}); or set audio.network: sequence`,
        });
      if (audio.network === 'sequence' && (frames ?? audio.spectrogram.size) % 16 !== 0)
        context.addIssue({
          code: 'custom',
          path: ['spectrogram', 'frames'],
          message: `the sequence network halves the frames four times: frames must be a multiple of 16, got ${frames ?? audio.spectrogram.size}`,
        });
      if (audio.network === 'sequence' && audio.broadcast !== undefined)
        context.addIssue({
          code: 'custom',
          path: ['broadcast'],
          message:
            'the sequence network draws along frames, not a 2-D picture: set audio.broadcast only with audio.network: picture',
        });
      if (audio.network === 'sequence' && audio.coordinates)
        context.addIssue({
          code: 'custom',
          path: ['coordinates'],
          message:
            'the sequence network draws along frames, not a 2-D picture: set audio.coordinates only with audio.network: picture',
        });
      if (
        audio.network === 'sequence' &&
        audio.decoderMinChannels !== undefined &&
        audio.decoderMinChannels !== DEFAULT_MIN_CHANNELS
      )
        context.addIssue({
          code: 'custom',
          path: ['decoderMinChannels'],
          message:
            'the sequence network doubles its widths along frames and has no floor: set audio.decoderMinChannels only with audio.network: picture',
        });
      if (audio.encoderColour || audio.encoderGrey !== 'full')
        context.addIssue({
          code: 'custom',
          path: ['encoderColour'],
          message:
            "a spectrogram has one channel and so no colour part: leave audio.encoderColour false and audio.encoderGrey 'full'",
        });
      if (audio.network === 'sequence' && audio.encoderDepth !== 1)
        context.addIssue({
          code: 'custom',
          path: ['encoderDepth'],
          message:
            'the sequence network has its own encoder along frames: set audio.encoderDepth only with audio.network: picture',
        });
      if (audio.chromaWeight > 0)
        context.addIssue({
          code: 'custom',
          path: ['chromaWeight'],
          message: 'a spectrogram has one channel and so no colour to weigh: leave audio.chromaWeight at 0',
        });
    })
    .prefault({}),
  text: z
    .strictObject({
      embeddingDim: z.number().int().positive().default(64),
      /** GRU width of the decoder (the encoder's two directions share it). */
      hiddenSize: z.number().int().positive().default(256),
      memorySlots: z.number().int().positive().default(4),
      dropout: z.number().min(0).max(0.9).default(0.1),
      /** Likelihood weight: log p = −weight · Σ cross-entropy over tokens (balances a few words against thousands of pixels). */
      weight: z.number().positive().default(50),
    })
    .prefault({}),
});
export type PartsConfig = z.output<typeof partsConfig>;

/** What a dataset gives a joint run: its picture and clip formats (when it has them) and the tokenizer. */
export interface JointShapes {
  image?: ImageShape | undefined;
  audio?: AudioShape | undefined;
  tokenizer: Tokenizer;
}

/** The modalities of a run, in the fixed order image, text, audio (bit m of a subset is modality m). */
export function runModalities(shapes: { image?: unknown; audio?: unknown }): ModalityName[] {
  return [...(shapes.image ? (['image'] as const) : []), 'text', ...(shapes.audio ? (['audio'] as const) : [])];
}

export interface BuiltParts {
  names: ModalityName[];
  parts: ModalityPart[];
  codec: SpectrogramCodec | undefined;
}

/**
 * One part per modality of the run, decoding from a shared latent of sharedDim and a private one of privateDim;
 * with `imageGrid`, the image's latent is a spatial grid of that side (joint-diffusion's autoencoders).
 */
export function buildParts(
  config: PartsConfig,
  shapes: JointShapes,
  sharedDim: number,
  privateDim: number,
  imageGrid?: number,
): BuiltParts {
  const names = runModalities(shapes);
  const codec = shapes.audio ? makeCodec(config.audio.spectrogram, shapes.audio) : undefined;
  const parts = names.map((name): ModalityPart => {
    const dims = { sharedDim, privateDim, featureDim: config.featureDim };
    if (name === 'text') return new TextPart({ tokenizer: shapes.tokenizer, ...dims, ...config.text });
    if (name === 'image' && shapes.image) {
      const largest = workingSize(shapes.image.size) / 2;
      if (imageGrid !== undefined && imageGrid > largest)
        throw new Error(
          `model.imageGrid ${imageGrid} is too fine for ${shapes.image.size}-pixel pictures (the encoder halves them at least once): use at most ${largest}`,
        );
      if (imageGrid !== undefined && config.image.broadcast !== undefined)
        throw new Error(
          'model.imageGrid and model.image.broadcast both choose where the picture decoder starts: give one of them',
        );
      if (config.image.encoderColour && shapes.image.channels < 3)
        throw new Error(
          `model.image.encoderColour reads colour, and this dataset's pictures have ${shapes.image.channels} channel: leave it false`,
        );
      if (config.image.chromaWeight > 0 && shapes.image.channels < 3)
        throw new Error(
          `model.image.chromaWeight weighs colour, and this dataset's pictures have ${shapes.image.channels} channel: leave it at 0`,
        );
      return new PicturePart({
        name,
        size: shapes.image.size,
        channels: shapes.image.channels,
        ...dims,
        ...config.image,
        ...(imageGrid === undefined ? {} : { grid: imageGrid }),
      });
    }
    const { spectrogram, ...picture } = config.audio;
    return new PicturePart({
      name: 'audio',
      size: spectrogram.size,
      frames: spectrogram.frames ?? spectrogram.size,
      channels: 1,
      ...dims,
      ...picture,
    });
  });
  return { names, parts, codec };
}
