// The text2image-gan recipe's config: its networks' widths, the training terms and their weights, and how a loaded
// run generates (rejection sampling).
import { z } from 'zod';
import { runSettings } from '../run-settings.js';

export const textToImageGanConfig = z.strictObject({
  recipe: z.literal('text2image-gan'),
  dataset: z.string().min(1),
  seed: z.number().int().nonnegative().default(0),
  model: z
    .strictObject({
      noiseDim: z.number().int().positive().default(64),
      textEmbedding: z.number().int().positive().default(64),
      textHidden: z.number().int().positive().default(128),
      conditionDim: z.number().int().positive().default(128),
      generatorChannels: z.number().int().positive().default(256),
      discriminatorChannels: z.number().int().positive().default(32),
      /** `residual` (BigGAN up-blocks, two convs per resolution) or `plain` (one conv per resolution, DCGAN-sized). */
      generatorBlock: z.enum(['residual', 'plain']).default('plain'),
      /** The generator's channel floor at the high resolutions, where shapes get their edges. */
      generatorMinChannels: z.number().int().positive().default(16),
      /** Group size of the discriminator's minibatch-std channel, against one-picture-per-caption collapse (0 = off). */
      minibatchStd: z.number().int().min(0).default(4),
      /**
       * Base channels of the word classifier, a network of its own trained on real images to name a caption's
       * words (0 = the discriminator's spectral-norm word head instead, which learns them far more slowly).
       */
      classifierChannels: z.number().int().min(0).default(16),
    })
    .prefault({}),
  training: z
    .strictObject({
      generatorLr: z.number().positive().default(2e-4),
      discriminatorLr: z.number().positive().default(2e-4),
      beta1: z.number().min(0).max(1).default(0),
      beta2: z.number().min(0).max(1).default(0.9),
      mismatchWeight: z.number().min(0).default(0.5),
      /** Weight of the auxiliary loss: a classifier learns which words a real image's caption has, G is judged by it (AC-GAN). */
      wordWeight: z.number().min(0).default(1),
      /**
       * TAC-GAN: a twin word classifier learns the words of generated images and the generator also pays
       * minus its loss, so it matches each caption's variety of real pictures instead of drawing only the
       * most recognisable ones (AC-GAN alone does; Gong et al. 2019). Needs model.classifierChannels > 0.
       */
      twinClassifier: z.boolean().default(false),
      classifierLr: z.number().positive().default(2e-3),
      /** First steps that train only the word classifier, so the generator's first steps already get shape-aware gradients. */
      classifierWarmup: z.number().int().min(0).default(300),
      /**
       * Weight of the mode-seeking term (MSGAN): the generator pays 1 / (image distance / noise distance) for two
       * noises under one caption, so it cannot draw one picture per caption (0 = off).
       */
      modeSeekingWeight: z.number().min(0).default(0),
      diffAugment: z.string().default('translation'),
      /**
       * The last N steps lower both learning rates in a straight line towards 0 (0 = constant). Fashion-MNIST's
       * FID fell from 1.73 to 1.44 in 925 steps resumed at a quarter of the rate.
       */
      lrDecaySteps: z.number().int().min(0).default(0),
      ...runSettings,
    })
    .prefault({}),
  /** How a loaded run generates (training's sample grids always use every draw). */
  generation: z
    .strictObject({
      /**
       * Discriminator rejection sampling: the share of generated images (measured on training captions) that the
       * discriminator scores too low, and that are drawn again (0 = off). It helps a generator with broken modes
       * (Fashion-MNIST at 19581 steps: FID 1.44 → 1.10 at 0.1) and costs a good one a little (1.06 → 1.13), so it is opt-in.
       */
      rejection: z.number().min(0).max(0.9).default(0),
      /** Redraws per image at most; the best-scored draw is kept after that. */
      rounds: z.number().int().positive().default(10),
      /** Training captions the rejection threshold is measured on, each time a run is loaded. */
      calibrationImages: z.number().int().positive().default(1000),
    })
    .prefault({}),
});
export type TextToImageGanConfig = z.output<typeof textToImageGanConfig>;
