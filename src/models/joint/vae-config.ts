// The config of recipe joint-vae (models/joint-vae.ts): the parts (or the held autoencoders a VAE reads the
// latents of), how the joint posterior is formed, training with KL annealing, and where joint samples come from.
import { z } from 'zod';
import { decodingConfig } from '../text-writer.js';
import { loopSettings } from '../run-settings.js';
import { partsConfig } from './part-config.js';

export const jointVaeConfig = z
  .strictObject({
    recipe: z.literal('joint-vae'),
    dataset: z.string().min(1),
    seed: z.number().int().nonnegative().default(0),
    model: partsConfig
      .extend({
        mixing: z.enum(['poe', 'mopoe', 'moe', 'mmvae+']).default('mopoe'),
        latentDim: z.number().int().positive().default(32),
        /** Private latent per modality (MMVAE+ / DMVAE style); 0 = shared latent only. mmvae+ needs it. */
        privateDim: z.number().int().nonnegative().default(0),
        /** moe and mmvae+: the ELBO (one draw), or the IWAE bound with DReG's or the plain gradient over `samples` draws. */
        estimator: z.enum(['elbo', 'iwae', 'dreg']).default('elbo'),
        samples: z.number().int().min(1).max(64).default(4),
        /** poe: random subsets trained per step besides the full set and each single modality. */
        poeSubsets: z.number().int().nonnegative().default(1),
        /**
         * Over a trained joint-diffusion run's autoencoders, held: each modality's part is an MLP that reads and
         * predicts that autoencoder's standardised latent, so the VAE learns how the modalities go together
         * and the autoencoders draw them. The run's picture, sound and caption settings then come from `run`
         * (copied into this run beside its tokenizer); the ones here are not used.
         */
        autoencoders: z
          .strictObject({
            /** The trained joint-diffusion run whose autoencoders (and latent statistics) the VAE reads. */
            run: z.string().min(1),
            /** Width of each modality's MLP encoder and decoder. */
            hidden: z.number().int().positive().default(512),
            /** log p = −weight · Σ (x − x̂)² over a latent's dimensions (0.5: a unit-variance Gaussian). */
            weight: z.number().positive().default(0.5),
          })
          .optional(),
      })
      .prefault({}),
    training: z
      .strictObject({
        steps: z.number().int().positive().default(3000),
        batchSize: z.number().int().positive().default(32),
        lr: z.number().positive().default(1e-3),
        beta: z.number().min(0).default(1),
        /** β rises linearly from 0 over these steps (KL annealing). */
        klWarmupSteps: z.number().int().nonnegative().default(500),
        ...loopSettings,
      })
      .prefault({}),
    sampling: z
      .strictObject({
        /** Joint samples from the prior, or from a diagonal Gaussian mixture fitted on the training posteriors after training. */
        latent: z.enum(['prior', 'mixture']).default('mixture'),
        components: z.number().int().positive().default(16),
        /**
         * Joint samples: `text` samples a caption from the latent, then translates it into the other modalities
         * (one Gibbs step through the caption, whose words snap a latent between two captions onto one);
         * `none` decodes every modality from the one latent.
         */
        through: z.enum(['none', 'text']).default('none'),
        /**
         * Translation's spread of the inferred latent when none is asked for: 1 draws from the posterior, 0 takes
         * its mean; between, a reduced temperature (as Glow's and NVAE's) trades variety for agreement.
         */
        temperature: z.number().min(0).max(4).default(1),
      })
      .prefault({}),
    decoding: decodingConfig,
  })
  .superRefine((config, context) => {
    if (config.model.mixing === 'mmvae+' && config.model.privateDim === 0) {
      context.addIssue({
        code: 'custom',
        path: ['model', 'privateDim'],
        message: 'mixing "mmvae+" needs private latents: set model.privateDim (e.g. 16)',
      });
    }
  });
export type JointVaeConfig = z.output<typeof jointVaeConfig>;
