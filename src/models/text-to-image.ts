// What every text→image recipe offers the training session, the CLI and evaluation.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Module, inEvalMode } from '../nn/index.js';
import type { EMA, Optimizer } from '../optim/index.js';
import type { Tokenizer } from '../modalities/text/index.js';
import type { z } from 'zod';
import { Generator, type Tensor, dispose, noGrad, randn, tidy } from '../tensor/index.js';
import { loadSafetensors } from '../tensor/safetensors.js';
import { readDataset } from '../data/format.js';
import { type TextBatch, encodePrompts } from './prompts.js';

export interface ImageShape { channels: number; size: number }

export interface TextToImageModel {
  readonly tokenizer: Tokenizer;
  readonly shape: ImageShape;
  /** Trained modules, saved under their names in model.safetensors. */
  readonly modules: Record<string, Module>;
  readonly optimizers: Record<string, Optimizer>;
  readonly emas: Record<string, EMA>;
  /** Random streams used by training (saved with checkpoints for exact resume). */
  readonly generators: Record<string, Generator>;
  trainStep(images: Tensor, text: TextBatch, step: number): Record<string, number>;
  /** Images [N, C, S, S] in [-1, 1]; the same seed gives the same images. */
  generate(texts: string[], seed: number): Tensor;
  /**
   * Prepares generation-time sampling that needs training captions (a GAN's discriminator rejection), with
   * `fraction` overriding the run's setting (0 = off). Returns a line for reports, or undefined when off.
   */
  calibrateGeneration?(captions: readonly string[], fraction?: number): string | undefined;
  /** The run's configured share of draws to reject (generation.rejection), for models that can. */
  readonly rejection?: number;
  /** Brings generation weights up to date (e.g. copies EMA weights) before sampling. */
  prepareForGeneration(): void;
  /** Loads generation weights from a model.safetensors map (keys as the training session saves them). */
  loadForGeneration(weights: Map<string, Tensor>): void;
  dispose(): void;
}

/** Reads a run's config.json; a clear error when the folder is not a run. */
export async function readRunConfig(runDir: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${runDir} is not a readable mmgen run (config.json: ${(error as Error).message}); train one with \`mmgen train CONFIG --out ${runDir}\``);
  }
}

/** Validates a run's config (mmgen's own keys removed) against its recipe's schema. */
export function parseRunConfig(runDir: string, recipe: { name: string; schema: z.ZodType }, config: Record<string, unknown>): unknown {
  const parsed = recipe.schema.safeParse(config);
  if (!parsed.success) throw new Error(`${runDir}/config.json does not match recipe ${recipe.name}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

export interface LoadRunOptions {
  /** Share of draws the discriminator rejects, overriding the run's generation.rejection (0 = off; GAN runs). */
  rejection?: number;
}

/** How a loaded run samples: a line for reports, or why its sampling setting could not be used. */
export interface GenerationSetup {
  /** What generation does beyond drawing noise (e.g. discriminator rejection), for reports. */
  generation?: string;
  /** Why a sampling setting of the run's config is off (its dataset is gone, no discriminator weights). */
  notice?: string;
}

/** What loading a run for generation needs of its model (text→image and text→audio alike). */
interface GenerationModel {
  readonly rejection?: number;
  calibrateGeneration?(captions: readonly string[], fraction?: number): string | undefined;
  loadForGeneration(weights: Map<string, Tensor>): void;
  dispose(): void;
}

/**
 * Loads model.safetensors of a run into a model for generation, then prepares its generation-time sampling
 * (a GAN's rejection threshold, on the training captions of `datasetDir`). Disposes the model on failure.
 */
export async function loadGenerationWeights(runDir: string, model: GenerationModel, datasetDir: string, options: LoadRunOptions = {}): Promise<GenerationSetup> {
  try {
    const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors'));
    try {
      model.loadForGeneration(tensors);
    } finally {
      dispose([...tensors.values()]);
    }
  } catch (error) {
    model.dispose();
    throw new Error(`cannot load the weights of ${runDir}: ${(error as Error).message}`);
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
    if (fraction !== undefined && fraction > 0) throw new Error('rejection sampling needs a GAN run (its discriminator scores the draws)');
    return {};
  }
  // off, by the run's config or the caller: the dataset is not needed
  if ((fraction ?? model.rejection ?? 0) === 0) {
    model.calibrateGeneration([], 0);
    return {};
  }
  try {
    const dataset = await readDataset(datasetDir);
    const captions = dataset.entries.filter((entry) => entry.split === 'train' && entry.text.trim() !== '').map((entry) => entry.text);
    const generation = model.calibrateGeneration(captions, fraction);
    return generation ? { generation } : {};
  } catch (error) {
    const reason = `rejection sampling is off: ${(error as Error).message}`;
    if (fraction !== undefined) throw new Error(`${reason}; its threshold is measured on the training captions of the run's dataset (${datasetDir})`);
    return { notice: `${reason}; every draw is used` };
  }
}

/** Keys of a map under `prefix.`, with the prefix removed. */
export function withPrefix(map: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [key, value] of map) if (key.startsWith(`${prefix}.`)) out.set(key.slice(prefix.length + 1), value);
  return out;
}

/** A network mapping (tokens, lengths, latent) to images: the GAN generator and the VAE decoder. */
export interface ConditionalImageNetwork extends Module {
  forward(tokens: Tensor, lengths: Tensor, latent: Tensor): Tensor;
}

/** Generates from prompts with seeded latents in eval mode; the same seed gives the same images. */
export function generateFromPrompts(network: ConditionalImageNetwork, tokenizer: Tokenizer, texts: string[], seed: number, latentDim: number): Tensor {
  const text = encodePrompts(tokenizer, texts);
  const random = new Generator(seed);
  try {
    return inEvalMode(network, () => noGrad(() => tidy(() => network.forward(text.tokens, text.lengths, randn([texts.length, latentDim], { generator: random })))));
  } finally {
    random.dispose();
    dispose(text);
  }
}

/** Loads trained weights under `name.*` and EMA weights under `ema.name.*`; either stands in for the other when
 * absent (an exported run keeps only the EMA copy). */
export function loadTrainedAndAveraged(weights: Map<string, Tensor>, name: string, trained: Module, averaged: Module): void {
  const own = withPrefix(weights, name);
  const ema = withPrefix(weights, `ema.${name}`);
  trained.loadStateDict(own.size > 0 ? own : ema);
  averaged.loadStateDict(ema.size > 0 ? ema : own);
}
