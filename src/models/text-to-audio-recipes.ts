// The text→audio recipes' models (GAN and VAE over log-mel spectrograms), and opening a trained run of
// either for generation.
import { join } from 'node:path';
import { Tokenizer } from '../modalities/text/index.js';
import { readAudioLevel } from './audio-level.js';
import { type AudioShape, recordedAudioShape } from './data-shapes.js';
import { type GenerationSetup, type LoadRunOptions, loadGenerationWeights } from './generation-weights.js';
import { type FamilyRecipe, type LoadedRecipeRun, familyRecipe } from './recipe-family.js';
import { recipeSettings } from './recipe.js';
import { readRunConfig } from './run-files.js';
import type { TextToAudioModel } from './text-to-audio.js';
import { TextToAudioGan, textToAudioGanConfig } from './text-to-audio-gan.js';
import { TextToAudioVae, textToAudioVaeConfig } from './text-to-audio-vae.js';

export type TextToAudioRecipe = FamilyRecipe<AudioShape, TextToAudioModel>;

export const TEXT_TO_AUDIO_GAN = familyRecipe('text2audio-gan', textToAudioGanConfig, (config, tokenizer, audio: AudioShape): TextToAudioModel => new TextToAudioGan(config, tokenizer, audio));
export const TEXT_TO_AUDIO_VAE = familyRecipe('text2audio-vae', textToAudioVaeConfig, (config, tokenizer, audio: AudioShape): TextToAudioModel => new TextToAudioVae(config, tokenizer, audio));
export const TEXT_TO_AUDIO_RECIPES: readonly TextToAudioRecipe[] = [TEXT_TO_AUDIO_GAN, TEXT_TO_AUDIO_VAE];

export type LoadedTextToAudioRun = LoadedRecipeRun<TextToAudioModel> & GenerationSetup & { recipe: TextToAudioRecipe };

/** Opens a trained text→audio run for generation: tokenizer.json, model.safetensors and the output level it measured. */
export async function openTextToAudioRun(recipe: TextToAudioRecipe, runDir: string, recorded: Readonly<Record<string, unknown>>, options: LoadRunOptions = {}): Promise<LoadedTextToAudioRun> {
  const prepared = recipe.prepare(recipeSettings(recorded, recipe.name));
  const audio = recordedAudioShape(runDir, recorded);
  const model = prepared.create(await Tokenizer.load(join(runDir, 'tokenizer.json')), audio);
  const dataset = prepared.config.dataset;
  try {
    // the gain measured at the end of training, so clips come out at the data's level
    model.outputGainDb = (await readAudioLevel(runDir))?.gainDb ?? 0;
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, recipe, dataset, ...(await loadGenerationWeights(runDir, model, dataset, options)) };
}

/** Loads a text→audio run of either recipe by its folder (for evaluation and tests; loadRun is the public door). */
export async function loadTextToAudioRun(runDir: string, options: LoadRunOptions = {}): Promise<LoadedTextToAudioRun> {
  const recorded = await readRunConfig(runDir);
  const recipe = TEXT_TO_AUDIO_RECIPES.find((entry) => entry.name === recorded.recipe);
  if (!recipe) throw new Error(`${runDir} is a "${String(recorded.recipe)}" run, not a text→audio run (${TEXT_TO_AUDIO_RECIPES.map((r) => r.name).join(', ')})`);
  return openTextToAudioRun(recipe, runDir, recorded, options);
}
