// A tiny text2image-gan run on a tiny level-1 shapes set, trained to a run folder in a few seconds: for the
// tests of what is done with a finished run (loading, rejection sampling, checkpoint averaging).
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { TEXT_TO_IMAGE_RECIPES } from '../../src/models/text-to-image-recipes.js';
import { trainTextToImage } from '../../src/train/sessions/text-to-image.js';

export interface TinyGanRunOptions {
  seed: number;
  /** Shapes images in the dataset. */
  images: number;
  training?: Record<string, unknown>;
  generation?: Record<string, unknown>;
}

/** Builds ROOT/shapes, trains ROOT/run for 4 steps; returns both paths. */
export async function trainTinyGanRun(
  root: string,
  options: TinyGanRunOptions,
): Promise<{ dataset: string; runDir: string }> {
  const dataset = join(root, 'shapes');
  await buildDataset({ builder: 'shapes', out: dataset, seed: 3, options: { level: 1, count: options.images } });
  const recipe = TEXT_TO_IMAGE_RECIPES.find((entry) => entry.name === 'text2image-gan')!;
  const runDir = join(root, 'run');
  const config = recipe.schema.parse({
    recipe: 'text2image-gan',
    dataset,
    seed: options.seed,
    model: {
      noiseDim: 8,
      textEmbedding: 8,
      textHidden: 16,
      conditionDim: 16,
      generatorChannels: 16,
      discriminatorChannels: 8,
    },
    training: { steps: 4, batchSize: 8, logEvery: 1, ...options.training },
    ...(options.generation ? { generation: options.generation } : {}),
  });
  const { model } = await trainTextToImage(recipe, config, { runDir });
  model.dispose();
  return { dataset, runDir };
}
