// Training by recipe: every recipe of the one registry (models/recipes.ts) paired with the session that
// trains it. The table is keyed by recipe name, so the compiler rejects a recipe without a session, and
// each session receives its recipe's config type (parsed by that recipe's schema; no casts).
// The pairing lives here, not in models/, because models/ sits below train/ and may not import sessions.
import { type Recipe, recipeSettings } from '../models/recipe.js';
import {
  RECIPES as REGISTRY,
  type RecipeName,
  captionerRecipe,
  findRecipe,
  jointDiffusionRecipe,
  jointVaeRecipe,
  textToAudioGanRecipe,
  textToAudioVaeRecipe,
  textToImageGanRecipe,
  textToImageVaeRecipe,
  transcriberRecipe,
} from '../models/recipes.js';
import { TEXT_TO_AUDIO_GAN, TEXT_TO_AUDIO_VAE } from '../models/text-to-audio-recipes.js';
import { TEXT_TO_IMAGE_GAN, TEXT_TO_IMAGE_VAE } from '../models/text-to-image-recipes.js';
import { ConfigError, type JsonObject, validateConfig } from './config.js';
import type { TrainResult } from './loop.js';
import { trainCaptioner } from './sessions/captioner.js';
import type { SessionOptions } from './sessions/common.js';
import { trainJointDiffusion } from './sessions/joint-diffusion.js';
import { trainJointVae } from './sessions/joint.js';
import { trainTextToAudio } from './sessions/text-to-audio.js';
import { trainTextToImage } from './sessions/text-to-image.js';
import { trainTranscriber } from './sessions/transcriber.js';

/** A session: trains a parsed config into options.runDir; the trained model comes back too (tests use it). */
type Session<Config> = (
  config: Config,
  options: SessionOptions,
) => Promise<{ result: TrainResult; model: { dispose(): void } }>;

export interface TrainableRecipe {
  readonly name: string;
  readonly description: string;
  /** Validates a raw config (mmgen's recorded keys set aside); errors name `source` and every bad key. */
  prepare(raw: JsonObject, source: string): { config: unknown; train(options: SessionOptions): Promise<TrainResult> };
}

/** A recipe with its session; the config type is the recipe's, from its schema. */
function trainable<Name extends string, Config>(
  recipe: Recipe<Name, Config>,
  session: Session<Config>,
): TrainableRecipe {
  return {
    name: recipe.name,
    description: recipe.description,
    prepare: (raw, source) => {
      const config = validateConfig(recipe.schema, recipeSettings(raw, recipe.name), source);
      return {
        config,
        train: async (options) => {
          const { result, model } = await session(config, options);
          model.dispose();
          return result;
        },
      };
    },
  };
}

const SESSIONS: { readonly [Name in RecipeName]: TrainableRecipe } = {
  'text2image-gan': trainable(textToImageGanRecipe, (config, options) =>
    trainTextToImage(TEXT_TO_IMAGE_GAN, config, options),
  ),
  'text2image-vae': trainable(textToImageVaeRecipe, (config, options) =>
    trainTextToImage(TEXT_TO_IMAGE_VAE, config, options),
  ),
  'text2audio-gan': trainable(textToAudioGanRecipe, (config, options) =>
    trainTextToAudio(TEXT_TO_AUDIO_GAN, config, options),
  ),
  'text2audio-vae': trainable(textToAudioVaeRecipe, (config, options) =>
    trainTextToAudio(TEXT_TO_AUDIO_VAE, config, options),
  ),
  captioner: trainable(captionerRecipe, trainCaptioner),
  transcriber: trainable(transcriberRecipe, trainTranscriber),
  'joint-vae': trainable(jointVaeRecipe, trainJointVae),
  'joint-diffusion': trainable(jointDiffusionRecipe, trainJointDiffusion),
};

/** Every recipe, in the registry's order, ready to train. */
export const RECIPES: readonly TrainableRecipe[] = REGISTRY.map((recipe) => SESSIONS[recipe.name]);

export function getRecipe(name: unknown): TrainableRecipe {
  const recipe = findRecipe(name);
  if (!recipe)
    throw new ConfigError(
      `"recipe" must be one of ${RECIPES.map((entry) => `"${entry.name}"`).join(', ')}; got ${JSON.stringify(name)}`,
    );
  return SESSIONS[recipe.name];
}

/** Validates a raw config against its recipe's schema (keys written by mmgen itself are set aside first). */
export function resolveConfig(
  raw: JsonObject,
  source: string,
): { recipe: TrainableRecipe; config: unknown; train(options: SessionOptions): Promise<TrainResult> } {
  const recipe = getRecipe(raw.recipe);
  return { recipe, ...recipe.prepare(raw, source) };
}
