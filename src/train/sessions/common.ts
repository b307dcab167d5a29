// What every training session shares: its options, the loop options from a recipe's run settings, the
// run's tokenizer, fixed sample prompts, and a training task over a batch loader of pictures + captions.
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type BatchLoader, disposeBatch, type BatchCursor } from '../../data/batches.js';
import type { Dataset } from '../../data/format.js';
import type { LoadedSplit } from '../../data/loader.js';
import type { DataEventHandler } from '../../data/events.js';
import { Tokenizer } from '../../modalities/text/index.js';
import type { TextBatch } from '../../models/prompts.js';
import type { RunSettings } from '../../models/recipe-family.js';
import type { ProcessGroup, Tensor } from '../../tensor/index.js';
import type { TrainOptions, TrainingTask } from '../loop.js';
import type { EventSink } from '../events.js';

export interface SessionOptions {
  runDir: string;
  resume?: boolean;
  onEvent?: EventSink;
  onData?: DataEventHandler;
  signal?: AbortSignal;
  /** For tests of resume: stop after this step as if interrupted. */
  stopAfter?: number;
  /** Data-parallel training: the process group this rank trains in (see train/distributed.ts). */
  processGroup?: ProcessGroup;
}

/** What the training loop takes from a session's options: run folder, resume, events, abort, stop step. */
export function sessionLoopOptions(
  options: SessionOptions,
): Pick<TrainOptions, 'runDir' | 'resume' | 'onEvent' | 'signal' | 'stopAfter' | 'processGroup'> {
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
  const tokenizer = Tokenizer.fromCorpus(
    dataset.entries.filter((entry) => entry.split === 'train').map((entry) => entry.text),
    { level: 'word' },
  );
  await tokenizer.save(tokenizerPath);
  return tokenizer;
}

/**
 * Another run's tokenizer, copied into this run: reusing a run's text encoder means reusing its words'
 * numbering (`setting` names the config key that asked, for the error).
 */
export async function copiedTokenizer(source: string, setting: string, options: SessionOptions): Promise<Tokenizer> {
  const tokenizer = await Tokenizer.load(join(source, 'tokenizer.json')).catch((error: Error) => {
    throw new Error(
      `${setting}: cannot read ${source}/tokenizer.json (${error.message}); give a trained joint-diffusion run`,
    );
  });
  await mkdir(options.runDir, { recursive: true });
  await tokenizer.save(join(options.runDir, 'tokenizer.json'));
  return tokenizer;
}

/** What the loop reads of a recipe's training section. */
type LoopSettings = Pick<
  RunSettings,
  'steps' | 'sampleEvery' | 'checkpointEvery' | 'keepLast' | 'logEvery' | 'timeLimitMinutes'
>;

/** The training loop's options from a session's options and a recipe's run settings. */
export function loopOptions(options: SessionOptions, t: LoopSettings, seed: number, config: object): TrainOptions {
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
export function batchTask(
  model: TrainableModel,
  loader: BatchLoader,
  sampling: Pick<TrainingTask, 'sample' | 'finish'>,
): TrainingTask {
  return {
    modules: model.modules,
    optimizers: model.optimizers,
    emas: model.emas,
    generators: model.generators,
    step: (step) => {
      const batch = loader.next();
      try {
        if (!batch.images || !batch.tokens || !batch.lengths)
          throw new Error('the training batch lacks pictures or captions');
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
