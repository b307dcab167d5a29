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
import { TEXT_TO_AUDIO_GAN, TEXT_TO_AUDIO_VAE, openTextToAudioRun } from './text-to-audio-recipes.js';
import { TEXT_TO_IMAGE_GAN, TEXT_TO_IMAGE_VAE, openTextToImageRun } from './text-to-image-recipes.js';
import { textToAudioGanConfig } from './text-to-audio-gan.js';
import { textToAudioVaeConfig } from './text-to-audio-vae.js';
import { textToImageGanConfig } from './text-to-image-gan.js';
import { textToImageVaeConfig } from './text-to-image-vae.js';
import { loadTranscriberRun } from './transcriber-run.js';
import { transcriberConfig } from './transcriber.js';

export const textToImageGanRecipe = defineRecipe({
  name: 'text2image-gan',
  description:
    'text→image conditional GAN (caption GRU, conditional-BN generator, spectral-norm projection discriminator, hinge + matching-aware loss, DiffAugment, EMA)',
  schema: textToImageGanConfig,
  capabilities: ['generate'],
  modalities: { inputs: ['text'], outputs: ['image'] },
  load: async ({ dir, recorded, options }) =>
    textToImageCalls(await openTextToImageRun(TEXT_TO_IMAGE_GAN, dir, recorded, options)),
});

export const textToImageVaeRecipe = defineRecipe({
  name: 'text2image-vae',
  description: 'text→image conditional VAE (same caption encoder and decoder, KL annealing, EMA decoder)',
  schema: textToImageVaeConfig,
  capabilities: ['generate'],
  modalities: { inputs: ['text'], outputs: ['image'] },
  load: async ({ dir, recorded, options }) =>
    textToImageCalls(await openTextToImageRun(TEXT_TO_IMAGE_VAE, dir, recorded, options)),
});

export const textToAudioGanRecipe = defineRecipe({
  name: 'text2audio-gan',
  description:
    'text→audio spectrogram GAN (SpecGAN-like: caption GRU, conditional-BN 2-D generator over a log-mel, spectral-norm projection discriminator, hinge, EMA; Griffin-Lim phase)',
  schema: textToAudioGanConfig,
  capabilities: ['generate'],
  modalities: { inputs: ['text'], outputs: ['audio'] },
  load: async ({ dir, recorded, options }) =>
    textToAudioCalls(await openTextToAudioRun(TEXT_TO_AUDIO_GAN, dir, recorded, options)),
});

export const textToAudioVaeRecipe = defineRecipe({
  name: 'text2audio-vae',
  description:
    'text→audio conditional VAE on the same log-mel spectrograms (KL annealing, EMA decoder; Griffin-Lim phase)',
  schema: textToAudioVaeConfig,
  capabilities: ['generate'],
  modalities: { inputs: ['text'], outputs: ['audio'] },
  load: async ({ dir, recorded, options }) =>
    textToAudioCalls(await openTextToAudioRun(TEXT_TO_AUDIO_VAE, dir, recorded, options)),
});

export const captionerRecipe = defineRecipe({
  name: 'captioner',
  description:
    'image→text: conv feature-map encoder, GRU decoder with attention, label smoothing; greedy/beam/sampled captions',
  schema: captionerConfig,
  capabilities: ['caption'],
  modalities: { inputs: ['image'], outputs: ['text'] },
  ensembles: true,
  load: async ({ dir, options }) => captionerCalls((await loadCaptionerEnsemble(dir, options.with ?? [])).ensemble),
});

export const transcriberRecipe = defineRecipe({
  name: 'transcriber',
  description:
    "audio→text: log-mel conv + BiGRU encoder with the captioner's GRU decoder and attention; greedy/beam transcripts",
  schema: transcriberConfig,
  capabilities: ['transcribe'],
  modalities: { inputs: ['audio'], outputs: ['text'] },
  load: async ({ dir }) => transcriberCalls((await loadTranscriberRun(dir)).model),
});

export const jointVaeRecipe = defineRecipe({
  name: 'joint-vae',
  description:
    'one model over text, image and sound: any subset in, the rest out, or all sampled together (poe, mopoe, moe, mmvae+)',
  schema: jointVaeConfig,
  capabilities: ['translate', 'sample'],
  modalities: { inputs: ['image', 'text', 'audio'], outputs: ['image', 'text', 'audio'] },
  load: async ({ dir }) => jointCalls(await loadJointRun(dir)),
});

export const jointDiffusionRecipe = defineRecipe({
  name: 'joint-diffusion',
  description:
    'multimodal latent diffusion: an autoencoder per modality, then one score network over their latents; any subset in, the rest out',
  schema: jointDiffusionConfig,
  capabilities: ['translate', 'sample'],
  modalities: { inputs: ['image', 'text', 'audio'], outputs: ['image', 'text', 'audio'] },
  load: async ({ dir }) => jointCalls(await loadJointRun(dir)),
});

export const RECIPES = [
  textToImageGanRecipe,
  textToImageVaeRecipe,
  textToAudioGanRecipe,
  textToAudioVaeRecipe,
  captionerRecipe,
  transcriberRecipe,
  jointVaeRecipe,
  jointDiffusionRecipe,
] as const;

export type RegisteredRecipe = (typeof RECIPES)[number];
export type RecipeName = RegisteredRecipe['name'];
/** A recipe's parsed config, by name. */
export type ConfigOf<Name extends RecipeName> =
  Extract<RegisteredRecipe, { name: Name }> extends Recipe<Name, infer Config> ? Config : never;
/** The config of any run: a union told apart by its `recipe` key. */
export type RunConfig = { [Name in RecipeName]: ConfigOf<Name> }[RecipeName];

export const recipeNames = (): string[] => RECIPES.map((recipe) => recipe.name);

/** The recipe of a name (or an earlier name of it); undefined when none. */
export function findRecipe(name: unknown): RegisteredRecipe | undefined {
  return RECIPES.find((recipe) => recipe.name === name || (typeof name === 'string' && recipe.aliases.includes(name)));
}
