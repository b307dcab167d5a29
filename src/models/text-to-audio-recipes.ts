// The text→audio recipes' models (GAN and VAE over log-mel spectrograms), and opening a trained run of
// either for generation.
import { readAudioLevel } from './audio-level.js';
import { type AudioShape, recordedAudioShape } from './data-shapes.js';
import type { GenerationSetup, LoadRunOptions } from './generation-weights.js';
import { type FamilyRecipe, type LoadedRecipeRun, familyRecipe, openFamilyRun } from './recipe-family.js';
import { readRunConfig } from './run-files.js';
import type { TextToAudioModel } from './text-to-audio.js';
import { TextToAudioGan, textToAudioGanConfig } from './text-to-audio-gan.js';
import { TextToAudioVae, textToAudioVaeConfig } from './text-to-audio-vae.js';

export type TextToAudioRecipe = FamilyRecipe<AudioShape, TextToAudioModel>;

export const TEXT_TO_AUDIO_GAN = familyRecipe(
  'text2audio-gan',
  textToAudioGanConfig,
  (config, tokenizer, audio: AudioShape): TextToAudioModel => new TextToAudioGan(config, tokenizer, audio),
);
export const TEXT_TO_AUDIO_VAE = familyRecipe(
  'text2audio-vae',
  textToAudioVaeConfig,
  (config, tokenizer, audio: AudioShape): TextToAudioModel => new TextToAudioVae(config, tokenizer, audio),
);
export const TEXT_TO_AUDIO_RECIPES: readonly TextToAudioRecipe[] = [TEXT_TO_AUDIO_GAN, TEXT_TO_AUDIO_VAE];

export type LoadedTextToAudioRun = LoadedRecipeRun<TextToAudioModel> & GenerationSetup & { recipe: TextToAudioRecipe };

/** Opens a trained text→audio run for generation, with the output level it measured at the end of training. */
export async function openTextToAudioRun(
  recipe: TextToAudioRecipe,
  runDir: string,
  recorded: Readonly<Record<string, unknown>>,
  options: LoadRunOptions = {},
): Promise<LoadedTextToAudioRun> {
  return openFamilyRun(recipe, runDir, recorded, recordedAudioShape(runDir, recorded), options, async (model) => {
    // the gain measured at the end of training, so clips come out at the data's level
    model.outputGainDb = (await readAudioLevel(runDir))?.gainDb ?? 0;
  });
}

/** Loads a text→audio run of either recipe by its folder (for evaluation and tests; loadRun is the public door). */
export async function loadTextToAudioRun(runDir: string, options: LoadRunOptions = {}): Promise<LoadedTextToAudioRun> {
  const recorded = await readRunConfig(runDir);
  const recipe = TEXT_TO_AUDIO_RECIPES.find((entry) => entry.name === recorded.recipe);
  if (!recipe)
    throw new Error(
      `${runDir} is a "${String(recorded.recipe)}" run, not a text→audio run (${TEXT_TO_AUDIO_RECIPES.map((r) => r.name).join(', ')})`,
    );
  return openTextToAudioRun(recipe, runDir, recorded, options);
}
