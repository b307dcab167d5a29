// Loading a generating run's weights (text→image, text→audio) and preparing its generation-time sampling.
import { join } from 'node:path';
import { readDataset } from '../data/format.js';
import { type Tensor, dispose } from '../tensor/index.js';
import { loadSafetensors } from '../tensor/safetensors.js';
import type { LoadRunOptions } from './recipe.js';

export type { LoadRunOptions } from './recipe.js';

/** How a loaded run samples: a line for reports, or why its sampling setting could not be used. */
export interface GenerationSetup {
  /** What generation does beyond drawing noise (e.g. discriminator rejection), for reports. */
  generation?: string;
  /** Why a sampling setting of the run's config is off (its dataset is gone, no discriminator weights). */
  notice?: string;
}

/** What loading a run for generation needs of its model (text→image and text→audio alike). */
export interface GenerationModel {
  readonly rejection?: number;
  calibrateGeneration?(captions: readonly string[], fraction?: number): string | undefined;
  loadForGeneration(weights: Map<string, Tensor>): void;
  dispose(): void;
}

/**
 * Loads model.safetensors of a run into a model for generation, then prepares its generation-time sampling
 * (a GAN's rejection threshold, on the training captions of `datasetDir`). Disposes the model on failure.
 */
export async function loadGenerationWeights(
  runDir: string,
  model: GenerationModel,
  datasetDir: string,
  options: LoadRunOptions = {},
): Promise<GenerationSetup> {
  try {
    const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors'));
    try {
      model.loadForGeneration(tensors);
    } finally {
      dispose([...tensors.values()]);
    }
  } catch (error) {
    model.dispose();
    throw new Error(`cannot load the weights of ${runDir}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return await calibrateFromDataset(model, datasetDir, options.rejection);
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Calibrates a loaded run's generation-time sampling on its dataset's training captions. `fraction` is the
 * user's override of the rejected share (0 = off); when the user asked for it, failing is an error, and
 * otherwise a notice (generation then uses every draw).
 */
async function calibrateFromDataset(
  model: GenerationModel,
  datasetDir: string,
  fraction?: number,
): Promise<GenerationSetup> {
  if (!model.calibrateGeneration) {
    if (fraction !== undefined && fraction > 0)
      throw new Error('rejection sampling needs a GAN run (its discriminator scores the draws)');
    return {};
  }
  // off, by the run's config or the caller: the dataset is not needed
  if ((fraction ?? model.rejection ?? 0) === 0) {
    model.calibrateGeneration([], 0);
    return {};
  }
  try {
    const dataset = await readDataset(datasetDir);
    const captions = dataset.entries
      .filter((entry) => entry.split === 'train' && entry.text.trim() !== '')
      .map((entry) => entry.text);
    const generation = model.calibrateGeneration(captions, fraction);
    return generation ? { generation } : {};
  } catch (error) {
    const reason = `rejection sampling is off: ${(error as Error).message}`;
    if (fraction !== undefined)
      throw new Error(
        `${reason}; its threshold is measured on the training captions of the run's dataset (${datasetDir})`,
        { cause: error },
      );
    return { notice: `${reason}; every draw is used` };
  }
}
