// The one registry of recipes: every recipe mmgen trains and loads, by name. loadRun finds a run's recipe
// here; train/recipes.ts pairs each entry with its training session.
import { captionerConfig } from './captioner.js';
import { loadCaptionerEnsemble } from './captioner-ensemble.js';
import { jointDiffusionConfig } from './joint-diffusion.js';
import { loadJointRun } from './joint-run.js';
import { jointVaeConfig } from './joint-vae.js';
import { jointCalls } from './joint/open.js';
import { defineRecipe, type Recipe } from './recipe.js';
import { textToAudioCalls, textToImageCalls } from './run/one-way.js';
import { captionerCalls, transcriberCalls } from './run/text-readers.js';
import { loadTextToAudioRun } from './text-to-audio-recipes.js';
import { loadTextToImageRun } from './text-to-image-recipes.js';
import { text2audioGanConfig } from './text2audio-gan.js';
import { text2audioVaeConfig } from './text2audio-vae.js';
import { text2imageGanConfig } from './text2image-gan.js';
import { text2imageVaeConfig } from './text2image-vae.js';
import { loadTranscriberRun } from './transcriber-run.js';
import { transcriberConfig } from './transcriber.js';

export const textToImageGan = defineRecipe({
  name: 'text2image-gan',
  description: 'text→image conditional GAN (caption GRU, conditional-BN generator, spectral-norm projection discriminator, hinge + matching-aware loss, DiffAugment, EMA)',
  schema: text2imageGanConfig,
  capabilities: ['generate'],
  load: async ({ dir, options }) => {
    const { model, ...setup } = await loadTextToImageRun(dir, options);
    return textToImageCalls(model, setup);
  },
});

export const textToImageVae = defineRecipe({
  name: 'text2image-vae',
  description: 'text→image conditional VAE (same caption encoder and decoder, KL annealing, EMA decoder)',
  schema: text2imageVaeConfig,
  capabilities: ['generate'],
  load: async ({ dir, options }) => {
    const { model, ...setup } = await loadTextToImageRun(dir, options);
    return textToImageCalls(model, setup);
  },
});

export const textToAudioGan = defineRecipe({
  name: 'text2audio-gan',
  description: 'text→audio spectrogram GAN (SpecGAN-like: caption GRU, conditional-BN 2-D generator over a log-mel, spectral-norm projection discriminator, hinge, EMA; Griffin-Lim phase)',
  schema: text2audioGanConfig,
  capabilities: ['generate'],
  load: async ({ dir, options }) => {
    const { model, ...setup } = await loadTextToAudioRun(dir, options);
    return textToAudioCalls(model, setup);
  },
});

export const textToAudioVae = defineRecipe({
  name: 'text2audio-vae',
  description: 'text→audio conditional VAE on the same log-mel spectrograms (KL annealing, EMA decoder; Griffin-Lim phase)',
  schema: text2audioVaeConfig,
  capabilities: ['generate'],
  load: async ({ dir, options }) => {
    const { model, ...setup } = await loadTextToAudioRun(dir, options);
    return textToAudioCalls(model, setup);
  },
});

export const captioner = defineRecipe({
  name: 'captioner',
  description: 'image→text: conv feature-map encoder, GRU decoder with attention, label smoothing; greedy/beam/sampled captions',
  schema: captionerConfig,
  capabilities: ['caption'],
  ensembles: true,
  load: async ({ dir, options }) => captionerCalls((await loadCaptionerEnsemble(dir, options.with ?? [])).ensemble),
});

export const transcriber = defineRecipe({
  name: 'transcriber',
  description: "audio→text: log-mel conv + BiGRU encoder with the captioner's GRU decoder and attention; greedy/beam transcripts",
  schema: transcriberConfig,
  capabilities: ['transcribe'],
  load: async ({ dir }) => transcriberCalls((await loadTranscriberRun(dir)).model),
});

export const jointVae = defineRecipe({
  name: 'joint-vae',
  description: 'one model over text, image and sound: any subset in, the rest out, or all sampled together (poe, mopoe, moe, mmvae+)',
  schema: jointVaeConfig,
  capabilities: ['translate', 'sample'],
  load: async ({ dir }) => jointCalls(await loadJointRun(dir)),
});

export const jointDiffusion = defineRecipe({
  name: 'joint-diffusion',
  description: 'multimodal latent diffusion: an autoencoder per modality, then one score network over their latents; any subset in, the rest out',
  schema: jointDiffusionConfig,
  capabilities: ['translate', 'sample'],
  load: async ({ dir }) => jointCalls(await loadJointRun(dir)),
});

export const RECIPES = [textToImageGan, textToImageVae, textToAudioGan, textToAudioVae, captioner, transcriber, jointVae, jointDiffusion] as const;

export type RegisteredRecipe = (typeof RECIPES)[number];
export type RecipeName = RegisteredRecipe['name'];
/** A recipe's parsed config, by name. */
export type ConfigOf<Name extends RecipeName> = Extract<RegisteredRecipe, { name: Name }> extends Recipe<Name, infer Config> ? Config : never;
/** The config of any run: a union told apart by its `recipe` key. */
export type RunConfig = { [Name in RecipeName]: ConfigOf<Name> }[RecipeName];

export const recipeNames = (): string[] => RECIPES.map((recipe) => recipe.name);

/** The recipe of a name (or an earlier name of it); undefined when none. */
export function findRecipe(name: unknown): RegisteredRecipe | undefined {
  return RECIPES.find((recipe) => recipe.name === name || (typeof name === 'string' && recipe.aliases.includes(name)));
}
