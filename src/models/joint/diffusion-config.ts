// The config of recipe joint-diffusion (models/joint-diffusion.ts): the parts, the score network, the two
// training stages (with where reused autoencoders come from) and the sampler.
import { z } from 'zod';
import { decodingConfig } from '../text-writer.js';
import { loopSettings } from '../run-settings.js';
import { partsConfig } from './part-config.js';
import { MODALITIES, type ModalityName } from './parts.js';

const stageSettings = {
  steps: z.number().int().nonnegative(),
  batchSize: z.number().int().positive(),
  lr: z.number().positive(),
};

export const jointDiffusionConfig = z.strictObject({
  recipe: z.literal('joint-diffusion'),
  dataset: z.string().min(1),
  seed: z.number().int().nonnegative().default(0),
  model: partsConfig
    .extend({
      /** Latent width of every modality's autoencoder. */
      latentDim: z.number().int().positive().default(32),
      /** The image's latent as a grid of this side (latentDim / side² channels per cell; the encoder ends and the decoder starts there), so a corner is a local feature of the latent; absent: one vector from a linear head. */
      imageGrid: z.union([z.literal(4), z.literal(8), z.literal(16)]).optional(),
      /** Noise added to latents while training the autoencoders, relative to their batch spread. */
      latentNoise: z.number().min(0).default(0.1),
      score: z
        .strictObject({
          kind: z.enum(['mlp', 'transformer']).default('mlp'),
          width: z.number().int().positive().default(512),
          blocks: z.number().int().positive().default(4),
          timeFrequencies: z.number().int().positive().default(16),
          heads: z.number().int().positive().default(4),
        })
        .prefault({}),
      prediction: z.enum(['epsilon', 'v']).default('v'),
      /** Share of training rows that hold a random subset of modalities clean as the condition. */
      conditionProbability: z.number().min(0).max(1).default(0.5),
      /** Share of conditioned rows whose condition is dropped (classifier-free guidance's unconditional score). */
      dropProbability: z.number().min(0).max(1).default(0.1),
    })
    .superRefine((model, context) => {
      const grid = model.imageGrid;
      if (grid !== undefined && model.latentDim % (grid * grid) !== 0)
        context.addIssue({
          code: 'custom',
          path: ['imageGrid'],
          message: `a ${grid}×${grid} grid needs latentDim to be a multiple of ${grid * grid} (channels per cell); latentDim is ${model.latentDim}`,
        });
    })
    .prefault({}),
  training: z
    .strictObject({
      autoencoder: z
        .strictObject({
          ...stageSettings,
          steps: stageSettings.steps.default(3000),
          batchSize: stageSettings.batchSize.default(32),
          lr: stageSettings.lr.default(1e-3),
          /** Steps for the named modalities' autoencoders in place of `steps` (the stage lasts as long as the longest; a text autoencoder converges in far fewer steps than a picture one). */
          modalitySteps: z.partialRecord(z.enum(MODALITIES), stageSettings.steps).default({}),
          /** `cosine`: the learning rate falls along half a cosine to a tenth of `lr` over the stage (tuning at a lower rate, within the run); `constant` keeps it. */
          schedule: z.enum(['constant', 'cosine']).default('constant'),
          /** A trained joint-diffusion run whose autoencoders this run reuses, with its tokenizer (its first stage is skipped unless `retrain` or `tune` names some; with `retrain: [text]` the tokenizer comes from this dataset); or one run per modality, `{ image: RUN_A, audio: RUN_B, text: RUN_B }`, so autoencoders trained apart (one process per core) join in one run; a modality it does not name trains afresh, and the tokenizer comes with the text autoencoder. */
          from: z.union([z.string().min(1), z.partialRecord(z.enum(MODALITIES), z.string().min(1))]).optional(),
          /** With `from`: these modalities' autoencoders train afresh in the first stage; the others stay as `from` has them. */
          retrain: z.array(z.enum(MODALITIES)).default([]),
          /** With `from`: these modalities' autoencoders start from `from`'s weights and train on in the first stage. */
          tune: z.array(z.enum(MODALITIES)).default([]),
          /** With `tune`: only the tuned autoencoders' decoders learn. Their encoders and heads keep `from`'s weights, so its latents, its statistics and a score network trained on them still hold (a picture decoder tuned with a new critic, say). */
          decodersOnly: z.boolean().default(false),
          /** The autoencoders in groups trained at once, one child process per group (a core each), e.g. `[[image], [audio, text]]`: each group a run of its own in RUN/autoencoders/GROUP, joined into this run as `from` joins runs; every modality of the dataset in one group. Empty: all in this process, one after another in each step. */
          processes: z.array(z.array(z.enum(MODALITIES)).min(1)).default([]),
          /** Weight of a term that has each picture and sound latent predict which words its row's caption holds (a linear head, binary cross-entropy; rows with a caption only), so what captions tell apart stays in the latent even where it is a few pixels (a small shape's outline under a textured background). The head trains the encoder only; 0: off. */
          captionWords: z.number().min(0).default(0),
          /** Weight of a term that has the picture latent predict its picture's size-free colour moments (models/joint/colour-moments-term.ts: a head of one hidden layer, squared error of each moment over its batch spread), so a small shape's tilt, a few pixels, stays in the latent as a big one's does. The head trains the encoder only; colour pictures only; 0: off. */
          colourMoments: z.number().min(0).default(0),
          /** With colourMoments: each pixel weighs min(its colour part / this, 1) in the moments, a mask of the coloured shape, so a texture inside the shape does not move them (0: the colour part itself). */
          momentsSaturation: z.number().min(0).max(2).default(0),
          /** With captionWords: the decoded picture, encoded again (the encoder's weights held), must predict its caption's words too, so the decoder draws what tells the captions apart (a small ellipse as an ellipse, not the round mean of its unknown tilts). */
          redrawnWords: z
            .strictObject({
              /** The term's gradient at the decoded pixels, as a share of the reconstruction's (0: off). */
              weight: z.number().min(0).default(0),
              /** The first-stage step after which it counts (the encoder and its caption-words head learn first). */
              start: z.number().int().nonnegative().default(1000),
            })
            .prefault({}),
          /** A patch critic for the picture autoencoder (image only), so its pictures are drawn sharp, not as the mean of what a latent could be: the latent-diffusion autoencoders' adversarial term. */
          adversarial: z
            .strictObject({
              /** The adversarial term's weight after the adaptive balance (0: off, no critic). */
              weight: z.number().min(0).default(0),
              /** The first-stage step after which the critic trains and its term counts (the likelihood alone draws the outline first). */
              start: z.number().int().nonnegative().default(0),
              /** The critic's channels after its first convolution. */
              channels: z.number().int().positive().default(32),
              /** The critic's halvings of the resolution: each patch logit sees about 6·2^halvings pixels across. */
              halvings: z.number().int().min(1).max(4).default(2),
              /** The critic's learning rate (Adam, β1 0.5). */
              lr: z.number().positive().default(2e-4),
              /** What the critic sees: every channel, or only the colour part (each pixel less its mean over the channels), where a grey texture no latent keeps cannot be its cue. */
              sees: z.enum(['all', 'colour']).default('all'),
            })
            .prefault({}),
        })
        .superRefine((stage, context) => {
          const complain = (path: string, message: string): void =>
            context.addIssue({ code: 'custom', path: [path], message });
          for (const key of ['retrain', 'tune'] as const)
            if (stage[key].length > 0 && stage.from === undefined)
              complain(
                key,
                `${key} names autoencoders to train beside those of another run: give training.autoencoder.from too`,
              );
          if (stage.decodersOnly && stage.tune.length === 0)
            complain(
              'decodersOnly',
              'decodersOnly tunes decoders over the encoders of training.autoencoder.from: name the modalities to tune in training.autoencoder.tune',
            );
          if (stage.decodersOnly && stage.retrain.length > 0)
            complain(
              'decodersOnly',
              `decodersOnly keeps every encoder, and retrain trains ${stage.retrain.join(', ')} afresh; drop one of them`,
            );
          if (stage.momentsSaturation > 0 && stage.colourMoments === 0)
            complain(
              'momentsSaturation',
              'momentsSaturation shapes the colour-moments term, which is off: set training.autoencoder.colourMoments too, or drop momentsSaturation',
            );
          if (stage.processes.length > 0 && stage.from !== undefined)
            complain(
              'processes',
              'processes trains the autoencoders afresh in child processes; drop training.autoencoder.from, or drop processes to reuse its autoencoders',
            );
          const grouped = stage.processes.flat();
          const twice = MODALITIES.filter((name) => grouped.filter((other) => other === name).length > 1);
          if (twice.length > 0)
            complain('processes', `${twice.join(', ')} is in more than one group; name each modality in one group`);
          if (stage.redrawnWords.weight > 0 && stage.captionWords === 0)
            complain(
              'redrawnWords',
              'redrawnWords reads decoded pictures with the caption-words head: set training.autoencoder.captionWords above 0 too',
            );
          const both = stage.retrain.filter((name) => stage.tune.includes(name));
          if (both.length > 0)
            complain(
              'tune',
              `${both.join(', ')} cannot be both retrained afresh and tuned from training.autoencoder.from; name it in one list`,
            );
          const unsourced = stage.tune.filter(
            (name) => stage.from !== undefined && !both.includes(name) && autoencoderSource(stage, name) === undefined,
          );
          if (unsourced.length > 0)
            complain(
              'tune',
              `${unsourced.join(', ')} cannot be tuned: training.autoencoder.from names no run for it; add it to from`,
            );
          const untrained = (Object.keys(stage.modalitySteps) as ModalityName[]).filter(
            (name) => autoencoderSource(stage, name) !== undefined && !stage.tune.includes(name),
          );
          if (untrained.length > 0)
            complain(
              'modalitySteps',
              `${untrained.join(', ')} keeps the autoencoder of training.autoencoder.from and trains no steps here; name it in retrain or tune, or drop it from modalitySteps`,
            );
        })
        .prefault({}),
      score: z
        .strictObject({
          ...stageSettings,
          steps: stageSettings.steps.default(20000),
          batchSize: stageSettings.batchSize.default(256),
          lr: stageSettings.lr.default(1e-3),
          emaDecay: z.number().min(0).max(1).default(0.999),
          /** `cosine`: the learning rate falls along half a cosine to a tenth of `lr` over the stage; `constant` keeps it. */
          schedule: z.enum(['constant', 'cosine']).default('constant'),
        })
        .prefault({}),
      ...loopSettings,
      sampleEvery: loopSettings.sampleEvery.default(1000),
      checkpointEvery: loopSettings.checkpointEvery.default(1000),
      logEvery: loopSettings.logEvery.default(10),
    })
    .prefault({}),
  sampling: z
    .strictObject({
      steps: z.number().int().min(1).max(10000).default(50),
      guidance: z.number().min(0).default(0),
      /** DDIM's stochasticity η: 0 deterministic, 1 fresh noise each step as DDPM's ancestral sampler (it corrects a score network's errors as it goes, Karras et al. 2022). */
      eta: z.number().min(0).max(1).default(0),
      // draws per output, the one whose modalities agree best (by the score network) kept; 1 = off
      candidates: z.number().int().min(1).max(64).default(1),
      /** With candidates: the draws are ranked also by how well the words their caption-words heads read agree (a run trained with training.autoencoder.captionWords). */
      captionWords: z.boolean().default(true),
    })
    .prefault({}),
  decoding: decodingConfig,
});
export type JointDiffusionConfig = z.output<typeof jointDiffusionConfig>;

/** The part of `training.autoencoder` that says where reused autoencoders come from. */
interface AutoencoderSources {
  from?: string | Partial<Record<ModalityName, string>> | undefined;
  retrain: readonly ModalityName[];
}

/** The run whose autoencoder a modality reuses (`training.autoencoder.from`), or undefined when it trains afresh here. */
export function autoencoderSource(stage: AutoencoderSources, name: ModalityName): string | undefined {
  if (stage.from === undefined || stage.retrain.includes(name)) return undefined;
  return typeof stage.from === 'string' ? stage.from : stage.from[name];
}
