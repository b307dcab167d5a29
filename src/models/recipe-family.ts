// What the recipes of a family (text→image, text→audio) share: the settings every config of theirs has,
// and a recipe's model side with its config type kept inside: `prepare` validates a config against the
// recipe's schema once and hands back a builder that holds the typed config (no casts at the boundary).
import { join } from 'node:path';
import type { z } from 'zod';
import { Tokenizer } from '../modalities/text/index.js';
import {
  type GenerationModel,
  type GenerationSetup,
  type LoadRunOptions,
  loadGenerationWeights,
} from './generation-weights.js';
import { recipeSettings } from './recipe.js';
import type { runSettings } from './run-settings.js';

/** The training section every text→image and text→audio config has. */
export type RunSettings = z.output<z.ZodObject<typeof runSettings>>;

/** What the sessions and loaders read of a text→image or text→audio config. */
export interface RecipeRunSettings {
  recipe: string;
  seed: number;
  dataset: string;
  training: RunSettings;
}

/** A validated config and the model it builds. */
export interface PreparedRecipe<Shape, Model> {
  readonly config: RecipeRunSettings;
  create(tokenizer: Tokenizer, shape: Shape): Model;
}

export interface FamilyRecipe<Shape, Model> {
  readonly name: string;
  readonly schema: z.ZodType;
  /** Validates `config` (a parsed config passes unchanged); errors name the recipe and each bad key. */
  prepare(config: unknown): PreparedRecipe<Shape, Model>;
}

export function familyRecipe<Config extends RecipeRunSettings, Shape, Model>(
  name: string,
  schema: z.ZodType<Config>,
  create: (config: Config, tokenizer: Tokenizer, shape: Shape) => Model,
): FamilyRecipe<Shape, Model> {
  return {
    name,
    schema,
    prepare: (raw) => {
      const parsed = schema.safeParse(raw);
      if (!parsed.success)
        throw new Error(
          `the config does not match recipe ${name}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
        );
      const config = parsed.data;
      return { config, create: (tokenizer, shape) => create(config, tokenizer, shape) };
    },
  };
}

export interface LoadedRecipeRun<Model> {
  model: Model;
  /** The dataset the run was trained on. */
  dataset: string;
}

/**
 * Opens a trained run of a family recipe for generation: its config (validated), tokenizer.json, the model
 * at the recorded data shape, `beforeWeights` (e.g. reading a measured output level), then model.safetensors
 * and generation-time sampling (a GAN's rejection threshold on its dataset's training captions).
 */
export async function openFamilyRun<Shape, Model extends GenerationModel>(
  recipe: FamilyRecipe<Shape, Model>,
  runDir: string,
  recorded: Readonly<Record<string, unknown>>,
  shape: Shape,
  options: LoadRunOptions,
  beforeWeights?: (model: Model) => Promise<void>,
): Promise<LoadedRecipeRun<Model> & GenerationSetup & { recipe: FamilyRecipe<Shape, Model> }> {
  const prepared = recipe.prepare(recipeSettings(recorded, recipe.name));
  const model = prepared.create(await Tokenizer.load(join(runDir, 'tokenizer.json')), shape);
  const dataset = prepared.config.dataset;
  try {
    await beforeWeights?.(model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, recipe, dataset, ...(await loadGenerationWeights(runDir, model, dataset, options)) };
}
