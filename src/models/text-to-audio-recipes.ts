// The text→audio recipes, and loading a trained run of any of them for generation.
import { join } from 'node:path';
import type { z } from 'zod';
import { Tokenizer } from '../modalities/text/index.js';
import { Text2AudioGan, text2audioGanConfig } from './text2audio-gan.js';
import { Text2AudioVae, text2audioVaeConfig } from './text2audio-vae.js';
import type { AudioShape, TextToAudioModel } from './text-to-audio.js';
import { type GenerationSetup, type LoadRunOptions, loadGenerationWeights, parseRunConfig, readRunConfig } from './text-to-image.js';
import type { runSettings } from './text-conditioned.js';
import { readAudioLevel } from './audio-level.js';

type RunSettings = z.output<z.ZodObject<typeof runSettings>>;

export interface TextToAudioRecipe {
  name: string;
  description: string;
  schema: z.ZodType;
  create(config: unknown, tokenizer: Tokenizer, audio: AudioShape): TextToAudioModel;
  training(config: unknown): RunSettings;
  seed(config: unknown): number;
  dataset(config: unknown): string;
}

type GanConfig = z.output<typeof text2audioGanConfig>;
type VaeConfig = z.output<typeof text2audioVaeConfig>;
type Common = { seed: number; dataset: string; training: RunSettings };
const common = (config: unknown): Common => config as Common;

export const TEXT_TO_AUDIO_RECIPES: readonly TextToAudioRecipe[] = [
  {
    name: 'text2audio-gan',
    description: 'text→audio spectrogram GAN (SpecGAN-like: caption GRU, conditional-BN 2-D generator over a log-mel, spectral-norm projection discriminator, hinge, EMA; Griffin-Lim phase)',
    schema: text2audioGanConfig,
    create: (config, tokenizer, audio) => new Text2AudioGan(config as GanConfig, tokenizer, audio),
    training: (config) => common(config).training,
    seed: (config) => common(config).seed,
    dataset: (config) => common(config).dataset,
  },
  {
    name: 'text2audio-vae',
    description: 'text→audio conditional VAE on the same log-mel spectrograms (KL annealing, EMA decoder; Griffin-Lim phase)',
    schema: text2audioVaeConfig,
    create: (config, tokenizer, audio) => new Text2AudioVae(config as VaeConfig, tokenizer, audio),
    training: (config) => common(config).training,
    seed: (config) => common(config).seed,
    dataset: (config) => common(config).dataset,
  },
];

export function textToAudioRecipe(name: unknown): TextToAudioRecipe | undefined {
  return TEXT_TO_AUDIO_RECIPES.find((recipe) => recipe.name === name);
}

/** Whether a run folder holds a text→audio run (by its config's recipe). */
export async function isTextToAudioRun(runDir: string): Promise<boolean> {
  try {
    return textToAudioRecipe((await readRunConfig(runDir)).recipe) !== undefined;
  } catch {
    return false;
  }
}

export interface LoadedTextToAudioRun extends GenerationSetup {
  model: TextToAudioModel;
  recipe: TextToAudioRecipe;
  config: unknown;
  dataset: string;
}

/** Loads a trained text→audio run (config.json, tokenizer.json, model.safetensors) for generation. */
export async function loadTextToAudioRun(runDir: string, options: LoadRunOptions = {}): Promise<LoadedTextToAudioRun> {
  const { mmgenVersion: _version, audioShape, ...rest } = await readRunConfig(runDir);
  const recipe = textToAudioRecipe(rest.recipe);
  if (!recipe) throw new Error(`${runDir} is a "${String(rest.recipe)}" run, not a text→audio run (${TEXT_TO_AUDIO_RECIPES.map((r) => r.name).join(', ')})`);
  const config = parseRunConfig(runDir, recipe, rest);
  const audio = audioShape as AudioShape | undefined;
  if (!audio || !Number.isInteger(audio.sampleRate) || !Number.isInteger(audio.samples)) throw new Error(`${runDir}/config.json lacks audioShape; was it written by \`mmgen train\`?`);
  const tokenizer = await Tokenizer.load(join(runDir, 'tokenizer.json'));
  const model = recipe.create(config, tokenizer, audio);
  const dataset = recipe.dataset(config);
  try {
    // the gain measured at the end of training, so clips come out at the data's level
    model.outputGainDb = (await readAudioLevel(runDir))?.gainDb ?? 0;
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, recipe, config, dataset, ...(await loadGenerationWeights(runDir, model, dataset, options)) };
}
