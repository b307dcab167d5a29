// The text→image recipes' models (GAN and VAE), and opening a trained run of either for generation.
import { type ImageShape, recordedImageShape } from './data-shapes.js';
import type { GenerationSetup, LoadRunOptions } from './generation-weights.js';
import { type FamilyRecipe, type LoadedRecipeRun, familyRecipe, openFamilyRun } from './recipe-family.js';
import { readRunConfig } from './run-files.js';
import type { TextToImageModel } from './text-to-image.js';
import { TextToImageGan, textToImageGanConfig } from './text-to-image-gan.js';
import { TextToImageVae, textToImageVaeConfig } from './text-to-image-vae.js';

export type TextToImageRecipe = FamilyRecipe<ImageShape, TextToImageModel>;

export const TEXT_TO_IMAGE_GAN = familyRecipe(
  'text2image-gan',
  textToImageGanConfig,
  (config, tokenizer, shape: ImageShape): TextToImageModel => new TextToImageGan(config, tokenizer, shape),
);
export const TEXT_TO_IMAGE_VAE = familyRecipe(
  'text2image-vae',
  textToImageVaeConfig,
  (config, tokenizer, shape: ImageShape): TextToImageModel => new TextToImageVae(config, tokenizer, shape),
);
export const TEXT_TO_IMAGE_RECIPES: readonly TextToImageRecipe[] = [TEXT_TO_IMAGE_GAN, TEXT_TO_IMAGE_VAE];

export type LoadedTextToImageRun = LoadedRecipeRun<TextToImageModel> & GenerationSetup & { recipe: TextToImageRecipe };

/** Opens a trained text→image run for generation (a GAN with rejection on measures its threshold on its dataset's training captions). */
export async function openTextToImageRun(
  recipe: TextToImageRecipe,
  runDir: string,
  recorded: Readonly<Record<string, unknown>>,
  options: LoadRunOptions = {},
): Promise<LoadedTextToImageRun> {
  return openFamilyRun(recipe, runDir, recorded, recordedImageShape(runDir, recorded), options);
}

/** Loads a text→image run of either recipe by its folder (for evaluation and tests; loadRun is the public door). */
export async function loadTextToImageRun(runDir: string, options: LoadRunOptions = {}): Promise<LoadedTextToImageRun> {
  const recorded = await readRunConfig(runDir);
  const recipe = TEXT_TO_IMAGE_RECIPES.find((entry) => entry.name === recorded.recipe);
  if (!recipe)
    throw new Error(
      `${runDir} is a "${String(recorded.recipe)}" run, not a text→image run (${TEXT_TO_IMAGE_RECIPES.map((r) => r.name).join(', ')})`,
    );
  return openTextToImageRun(recipe, runDir, recorded, options);
}
