// Wires a text→image recipe (GAN or VAE) to a dataset and the training loop: tokenizer from the training
// captions, seeded batches, fixed sample prompts and noise, checkpoints and exact resume.
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BatchLoader, disposeBatch, type BatchCursor } from '../../data/batches.js';
import { type Dataset, readDataset } from '../../data/format.js';
import { loadSplit, type LoadedSplit } from '../../data/loader.js';
import { tensorToImages, writeContactSheet } from '../../modalities/image/index.js';
import { Tokenizer } from '../../modalities/text/index.js';
import type { TextToImageRecipe } from '../../models/text-to-image-recipes.js';
import type { TextToImageModel } from '../../models/text-to-image.js';
import type { DataEventHandler } from '../../data/events.js';
import { type ProcessGroup, type Tensor, manualSeed } from '../../tensor/index.js';
import { type TextBatch, keepKnownWords } from '../../models/prompts.js';
import { type TrainOptions, type TrainResult, type TrainingTask, train } from '../loop.js';
import type { EventSink } from '../events.js';

type RunSettings = ReturnType<TextToImageRecipe['training']>;

export interface SessionOptions {
  runDir: string;
  resume?: boolean;
  onEvent?: EventSink;
  onData?: DataEventHandler;
  signal?: AbortSignal;
  /** For tests of resume: stop after this step as if interrupted. */
  stopAfter?: number;  /** Data-parallel training: the process group this rank trains in (see train/distributed.ts). */
  processGroup?: ProcessGroup;
}

/** What the training loop takes from a session's options: run folder, resume, events, abort, stop step. */
export function sessionLoopOptions(options: SessionOptions): Pick<TrainOptions, 'runDir' | 'resume' | 'onEvent' | 'signal' | 'stopAfter' | 'processGroup'> {
  return {
    runDir: options.runDir,
    resume: options.resume ?? false,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.stopAfter !== undefined ? { stopAfter: options.stopAfter } : {}),
    ...(options.processGroup ? { processGroup: options.processGroup } : {}),
  };
}

/** Distinct captions from the validation split (or train), in manifest order: the fixed sample prompts. */
export function samplePrompts(split: Pick<LoadedSplit, 'entries'>, count: number): string[] {
  const seen: string[] = [];
  for (const entry of split.entries) {
    if (!seen.includes(entry.text)) seen.push(entry.text);
    if (seen.length === count) break;
  }
  return seen;
}

/** The run's word tokenizer: built from the training captions, or read back on resume. */
export async function runTokenizer(dataset: Dataset, options: SessionOptions): Promise<Tokenizer> {
  await mkdir(options.runDir, { recursive: true });
  const tokenizerPath = join(options.runDir, 'tokenizer.json');
  if (options.resume && existsSync(tokenizerPath)) return Tokenizer.load(tokenizerPath);
  const tokenizer = Tokenizer.fromCorpus(dataset.entries.filter((entry) => entry.split === 'train').map((entry) => entry.text), { level: 'word' });
  await tokenizer.save(tokenizerPath);
  return tokenizer;
}

/** The training loop's options from a session's options and a recipe's run settings. */
export function loopOptions(options: SessionOptions, t: RunSettings, seed: number, config: object): TrainOptions {
  return {
    ...sessionLoopOptions(options),
    totalSteps: t.steps,
    seed,
    config,
    checkpointEvery: t.checkpointEvery,
    keepLast: t.keepLast,
    sampleEvery: t.sampleEvery,
    logEvery: t.logEvery,
    ...(t.timeLimitMinutes !== undefined ? { timeLimitSeconds: t.timeLimitMinutes * 60 } : {}),
  };
}

/** What a recipe's model gives the training loop. */
export interface TrainableModel {
  readonly modules: TrainingTask['modules'];
  readonly optimizers: TrainingTask['optimizers'];
  readonly emas: NonNullable<TrainingTask['emas']>;
  readonly generators: NonNullable<TrainingTask['generators']>;
  trainStep(pictures: Tensor, text: TextBatch, step: number): Record<string, number>;
}

/** A training task that feeds the loader's batches (pictures + captions) to the model, with a resumable cursor. */
export function batchTask(model: TrainableModel, loader: BatchLoader, sampling: Pick<TrainingTask, 'sample' | 'finish'>): TrainingTask {
  return {
    modules: model.modules,
    optimizers: model.optimizers,
    emas: model.emas,
    generators: model.generators,
    step: (step) => {
      const batch = loader.next();
      try {
        if (!batch.images || !batch.tokens || !batch.lengths) throw new Error('the training batch lacks pictures or captions');
        return model.trainStep(batch.images, { tokens: batch.tokens, lengths: batch.lengths }, step);
      } finally {
        disposeBatch(batch);
      }
    },
    ...sampling,
    cursor: () => loader.cursor,
    restoreCursor: (cursor) => loader.restore(cursor as BatchCursor),
  };
}

export async function trainTextToImage(recipe: TextToImageRecipe, config: unknown, options: SessionOptions): Promise<{ result: TrainResult; model: TextToImageModel }> {
  const datasetPath = recipe.dataset(config);
  const seed = recipe.seed(config);
  const t = recipe.training(config);
  const dataset = await readDataset(datasetPath);
  const imageInfo = dataset.info.modalities.image;
  if (!imageInfo) throw new Error(`dataset ${datasetPath} has no images; a text→image recipe needs an image dataset (e.g. \`mmgen data build shapes\`)`);
  if (imageInfo.width !== imageInfo.height) throw new Error(`a text→image recipe needs square images; ${datasetPath} has ${imageInfo.width}×${imageInfo.height}`);
  const tokenizer = await runTokenizer(dataset, options);
  const textOptions = { tokenizer, padId: tokenizer.padId };
  const trainSplit = await loadSplit(dataset, { split: 'train', images: 'uint8', text: textOptions, ...(t.trainLimit ? { limit: t.trainLimit } : {}), ...(options.onData ? { onEvent: options.onData } : {}) });
  const promptSplit = dataset.info.splits.val > 0 ? await loadSplit(dataset, { split: 'val', images: false, text: textOptions, limit: 400 }) : trainSplit;
  const shape = { channels: imageInfo.channels, size: imageInfo.width };
  // seeded initialisation: the same seed gives the same initial weights in any process
  if (!options.resume) manualSeed(seed);
  const model = recipe.create(config, tokenizer, shape);
  const loader = new BatchLoader(trainSplit, { batchSize: t.batchSize, seed, imagesAsFloat: true });
  // validation captions may use words training never saw (emoji's unseen test names): those cannot be sample prompts
  const usable = promptSplit.entries.filter((entry) => keepKnownWords(tokenizer, entry.text).unknown.length === 0);
  const prompts = samplePrompts({ entries: usable.length > 0 ? usable : trainSplit.entries }, 8);
  const sampleTexts = prompts.flatMap((prompt) => [prompt, prompt]);

  const task = batchTask(model, loader, {
    sample: async (folder: string, step: number) => {
      model.prepareForGeneration();
      // fixed noise: the same seed at every sample step, so a user watches the same prompts improve
      const images = model.generate(sampleTexts, seed + 7);
      const raw = tensorToImages(images, { range: 'signed' });
      images.dispose();
      const tiles = raw.map((image, index) => ({ image, caption: sampleTexts[index] ?? '' }));
      const file = join(folder, `step-${String(step).padStart(7, '0')}.png`);
      await writeContactSheet(file, tiles, { columns: 4, tileSize: [96, 96] });
      await writeContactSheet(join(folder, 'latest.png'), tiles, { columns: 4, tileSize: [96, 96] });
      return [file];
    },
  });
  try {
    const result = await train(task, loopOptions(options, t, seed, { ...(config as object), imageShape: shape }));
    model.prepareForGeneration();
    return { result, model };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainSplit.dispose();
    if (promptSplit !== trainSplit) promptSplit.dispose();
  }
}
