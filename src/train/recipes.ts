// The recipe registry: a config's `recipe` names which schema validates it and which session trains it.
import type { z } from 'zod';
import { TEXT_TO_IMAGE_RECIPES } from '../models/text-to-image-recipes.js';
import { ConfigError, type JsonObject, validateConfig } from './config.js';
import { type SessionOptions, trainTextToImage } from './sessions/text-to-image.js';
import { TEXT_TO_AUDIO_RECIPES } from '../models/text-to-audio-recipes.js';
import { trainTextToAudio } from './sessions/text-to-audio.js';
import type { TrainResult } from './loop.js';
import { TEXT_WRITER_RECIPES } from './text-writer-recipes.js';
import { jointVaeConfig } from '../models/joint-vae.js';
import { trainJointVae } from './sessions/joint.js';
import { jointDiffusionConfig } from '../models/joint-diffusion.js';
import { trainJointDiffusion } from './sessions/joint-diffusion.js';

export interface RecipeEntry {
  name: string;
  description: string;
  schema: z.ZodType;
  train(config: unknown, options: SessionOptions): Promise<TrainResult>;
}

/** A registry entry whose session returns the trained model too; the CLI only needs the result. */
function entry<Recipe extends { name: string; description: string; schema: z.ZodType }>(
  recipe: Recipe,
  session: (recipe: Recipe, config: unknown, options: SessionOptions) => Promise<{ result: TrainResult; model: { dispose(): void } }>,
): RecipeEntry {
  return {
    name: recipe.name,
    description: recipe.description,
    schema: recipe.schema,
    train: async (config: unknown, options: SessionOptions) => {
      const { result, model } = await session(recipe, config, options);
      model.dispose();
      return result;
    },
  };
}

/** A registry entry for a recipe whose session takes its parsed config (the schema guarantees its type). */
function sessionEntry<Schema extends z.ZodType>(
  name: string,
  description: string,
  schema: Schema,
  session: (config: z.output<Schema>, options: SessionOptions) => Promise<{ result: TrainResult; model: { dispose(): void } }>,
): RecipeEntry {
  return {
    name, description, schema,
    train: async (config: unknown, options: SessionOptions) => {
      const { result, model } = await session(config as z.output<Schema>, options);
      model.dispose();
      return result;
    },
  };
}

export const RECIPES: readonly RecipeEntry[] = [
  ...TEXT_TO_IMAGE_RECIPES.map((recipe) => entry(recipe, trainTextToImage)),
  ...TEXT_TO_AUDIO_RECIPES.map((recipe) => entry(recipe, trainTextToAudio)),
  ...TEXT_WRITER_RECIPES,
  sessionEntry('joint-vae', 'one model over text, image and sound: any subset in, the rest out, or all sampled together (poe, mopoe, moe, mmvae+)', jointVaeConfig, trainJointVae),
  sessionEntry('joint-diffusion', 'multimodal latent diffusion: an autoencoder per modality, then one score network over their latents; any subset in, the rest out', jointDiffusionConfig, trainJointDiffusion),
];

export function getRecipe(name: unknown): RecipeEntry {
  const recipe = RECIPES.find((entry) => entry.name === name);
  if (!recipe) throw new ConfigError(`"recipe" must be one of ${RECIPES.map((entry) => `"${entry.name}"`).join(', ')}; got ${JSON.stringify(name)}`);
  return recipe;
}

/** Validates a raw config against its recipe's schema (keys written by mmgen itself are dropped first). */
export function resolveConfig(raw: JsonObject, source: string): { recipe: RecipeEntry; config: unknown } {
  const { mmgenVersion: _version, imageShape: _shape, audioShape: _audio, ...rest } = raw;
  const recipe = getRecipe(rest.recipe);
  return { recipe, config: validateConfig(recipe.schema, rest, source) };
}
