// The text→image recipes, and loading a trained run of any of them for generation.
import { join } from 'node:path';
import type { z } from 'zod';
import { Tokenizer } from '../modalities/text/index.js';
import { Text2ImageGan, text2imageGanConfig } from './text2image-gan.js';
import { Text2ImageVae, text2imageVaeConfig } from './text2image-vae.js';
import { type GenerationSetup, type ImageShape, type LoadRunOptions, type TextToImageModel, loadGenerationWeights, parseRunConfig, readRunConfig } from './text-to-image.js';

export interface TextToImageRecipe {
  name: string;
  description: string;
  schema: z.ZodType;
  create(config: unknown, tokenizer: Tokenizer, shape: ImageShape): TextToImageModel;
  /** Training settings every text→image recipe has. */
  training(config: unknown): { steps: number; batchSize: number; sampleEvery: number; checkpointEvery: number; keepLast: number; logEvery: number; trainLimit?: number | undefined; timeLimitMinutes?: number | undefined };
  seed(config: unknown): number;
  dataset(config: unknown): string;
}

type GanConfig = z.output<typeof text2imageGanConfig>;
type VaeConfig = z.output<typeof text2imageVaeConfig>;

export const TEXT_TO_IMAGE_RECIPES: readonly TextToImageRecipe[] = [
  {
    name: 'text2image-gan',
    description: 'text→image conditional GAN (caption GRU, conditional-BN generator, spectral-norm projection discriminator, hinge + matching-aware loss, DiffAugment, EMA)',
    schema: text2imageGanConfig,
    create: (config, tokenizer, shape) => new Text2ImageGan(config as GanConfig, tokenizer, shape),
    training: (config) => (config as GanConfig).training,
    seed: (config) => (config as GanConfig).seed,
    dataset: (config) => (config as GanConfig).dataset,
  },
  {
    name: 'text2image-vae',
    description: 'text→image conditional VAE (same caption encoder and decoder, KL annealing, EMA decoder)',
    schema: text2imageVaeConfig,
    create: (config, tokenizer, shape) => new Text2ImageVae(config as VaeConfig, tokenizer, shape),
    training: (config) => (config as VaeConfig).training,
    seed: (config) => (config as VaeConfig).seed,
    dataset: (config) => (config as VaeConfig).dataset,
  },
];

export function textToImageRecipe(name: unknown): TextToImageRecipe | undefined {
  return TEXT_TO_IMAGE_RECIPES.find((recipe) => recipe.name === name);
}

export interface LoadedTextToImageRun extends GenerationSetup {
  model: TextToImageModel;
  recipe: TextToImageRecipe;
  config: unknown;
  dataset: string;
}

/**
 * Loads a trained text→image run (config.json, tokenizer.json, model.safetensors) for generation; a GAN run
 * with rejection on (generation.rejection or options.rejection > 0) measures its threshold on its dataset's training captions.
 */
export async function loadTextToImageRun(runDir: string, options: LoadRunOptions = {}): Promise<LoadedTextToImageRun> {
  const raw = await readRunConfig(runDir);
  const { mmgenVersion: _version, imageShape, ...rest } = raw;
  const recipe = textToImageRecipe(rest.recipe);
  if (!recipe) throw new Error(`${runDir} is a "${String(rest.recipe)}" run, not a text→image run (${TEXT_TO_IMAGE_RECIPES.map((r) => r.name).join(', ')})`);
  const config = parseRunConfig(runDir, recipe, rest);
  const shape = imageShape as ImageShape | undefined;
  if (!shape || !Number.isInteger(shape.size) || !Number.isInteger(shape.channels)) throw new Error(`${runDir}/config.json lacks imageShape; was it written by \`mmgen train\`?`);
  const tokenizer = await Tokenizer.load(join(runDir, 'tokenizer.json'));
  const model = recipe.create(config, tokenizer, shape);
  const dataset = recipe.dataset(config);
  return { model, recipe, config, dataset, ...(await loadGenerationWeights(runDir, model, dataset, options)) };
}
