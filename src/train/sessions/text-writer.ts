// The training session every text-writing recipe shares (captioner, transcriber): word tokenizer from
// the training texts (bos … eos), seeded batches, texts written for fixed validation inputs every
// sampleEvery steps (reported and saved under samples/), checkpoints and exact resume.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchLoader, disposeBatch, type Batch, type BatchCursor } from '../../data/batches.js';
import { writeFileAtomic } from '../../data/files.js';
import { type Dataset, readDataset } from '../../data/format.js';
import { type LoadedSplit, loadSplit } from '../../data/loader.js';
import { manualSeed } from '../../tensor/index.js';
import { canonicalCaption } from '../../modalities/text/normalize.js';
import { Tokenizer } from '../../modalities/text/index.js';
import type { FeatureEncoder, TextWriter } from '../../models/text-writer.js';
import type { Tensor } from '../../tensor/index.js';
import { type TrainResult, train } from '../loop.js';
import { type SessionOptions, loopOptions } from './common.js';

/** Loads (on resume) or builds and saves the run's word tokenizer from the training texts. */
async function runTokenizer(runDir: string, resume: boolean, texts: () => string[]): Promise<Tokenizer> {
  const path = join(runDir, 'tokenizer.json');
  if (resume && existsSync(path)) return Tokenizer.load(path);
  const tokenizer = Tokenizer.fromCorpus(texts(), { level: 'word' });
  await tokenizer.save(path);
  return tokenizer;
}

/** What the loader encodes a text to: bos, the words, eos. */
const withBosEos = (tokenizer: Tokenizer): { encode(text: string): number[]; padId: number } => ({
  encode: (text: string) => tokenizer.encode(text, { addBos: true, addEos: true }),
  padId: tokenizer.padId,
});

/** Writes sample texts to samples/step-N.txt and samples/latest.txt; returns the first path. */
async function writeSampleTexts(
  folder: string,
  step: number,
  samples: { reference: string; text: string; right: boolean }[],
): Promise<string> {
  const body = `${samples.map((sample) => `${sample.right ? 'right' : 'wrong'}\t${sample.text}\t(reference: ${sample.reference})`).join('\n')}\n`;
  const file = join(folder, `step-${String(step).padStart(7, '0')}.txt`);
  await writeFileAtomic(file, body);
  await writeFileAtomic(join(folder, 'latest.txt'), body);
  return file;
}

export interface TextWriterSession<Encoder extends FeatureEncoder> {
  model: TextWriter<Encoder>;
  trainSplit: LoadedSplit;
  /** The raw inputs of a batch (images, audio). */
  inputsOf(batch: Batch): Tensor | undefined;
  /** Fixed inputs whose texts are written every sampleEvery steps, and what they should say. */
  sampleInputs: Tensor;
  sampleReferences: string[];
  seed: number;
  training: {
    steps: number;
    batchSize: number;
    sampleEvery: number;
    checkpointEvery: number;
    keepLast: number;
    logEvery: number;
    timeLimitMinutes?: number | undefined;
  };
  /** What goes to config.json. */
  config: object;
}

async function trainTextWriter<Encoder extends FeatureEncoder>(
  session: TextWriterSession<Encoder>,
  options: SessionOptions,
): Promise<TrainResult> {
  const { model, trainSplit, training: t } = session;
  const loader = new BatchLoader(trainSplit, {
    batchSize: Math.min(t.batchSize, trainSplit.size),
    seed: session.seed,
    imagesAsFloat: true,
  });
  return train(
    {
      modules: model.modules,
      optimizers: model.optimizers,
      generators: model.generators,
      step: (step) => {
        const batch = loader.next();
        try {
          const inputs = session.inputsOf(batch);
          if (!inputs || !batch.tokens) throw new Error('the training batch lacks inputs or texts');
          return model.trainStep(inputs, batch.tokens, step);
        } finally {
          disposeBatch(batch);
        }
      },
      sample: async (folder, step) => {
        const texts = model.write(session.sampleInputs, { beam: 1 });
        const samples = texts.map((text, index) => {
          const reference = session.sampleReferences[index] ?? '';
          return { reference, text: text.text, right: canonicalCaption(text.text) === canonicalCaption(reference) };
        });
        options.onEvent?.({ type: 'texts', step, samples });
        return [await writeSampleTexts(folder, step, samples)];
      },
      cursor: () => loader.cursor,
      restoreCursor: (cursor) => loader.restore(cursor as BatchCursor),
    },
    loopOptions(options, t, session.seed, session.config),
  );
}

export interface TextWriterRecipe<Model extends TextWriter<FeatureEncoder>> {
  dataset: string;
  seed: number;
  training: TextWriterSession<FeatureEncoder>['training'] & { trainLimit?: number | undefined };
  /** Which inputs the recipe reads. */
  modality: 'image' | 'audio';
  /** The model for a dataset (its shapes) and tokenizer, and the extra keys config.json records. */
  create(dataset: Dataset, tokenizer: Tokenizer): { model: Model; config: object };
  /** Called with the loaded training split before the first step (e.g. to fill a retrieval bank). */
  beforeTraining?(model: Model, trainSplit: LoadedSplit): void;
}

/** Reads the dataset, builds tokenizer and model (seeded), and trains; the caller disposes the model. */
export async function trainTextWriterRecipe<Model extends TextWriter<FeatureEncoder>>(
  recipe: TextWriterRecipe<Model>,
  options: SessionOptions,
): Promise<{ result: TrainResult; model: Model }> {
  const t = recipe.training;
  const dataset = await readDataset(recipe.dataset);
  await mkdir(options.runDir, { recursive: true });
  const tokenizer = await runTokenizer(options.runDir, options.resume ?? false, () =>
    dataset.entries.filter((entry) => entry.split === 'train').map((entry) => entry.text),
  );
  const inputs =
    recipe.modality === 'image' ? { images: 'uint8' as const, audio: false } : { images: false as const, audio: true };
  const { model, config } = (() => {
    if (!options.resume) manualSeed(recipe.seed);
    return recipe.create(dataset, tokenizer);
  })();
  let trainSplit: LoadedSplit | undefined;
  let sampleSplit: LoadedSplit | undefined;
  try {
    trainSplit = await loadSplit(dataset, {
      split: 'train',
      ...inputs,
      text: { tokenizer: withBosEos(tokenizer) },
      ...(t.trainLimit ? { limit: t.trainLimit } : {}),
      ...(options.onData ? { onEvent: options.onData } : {}),
    });
    sampleSplit = await loadSplit(dataset, {
      split: dataset.info.splits.val > 0 ? 'val' : 'train',
      ...inputs,
      ...(recipe.modality === 'image' ? { images: 'float32' as const } : {}),
      limit: 8,
    });
    recipe.beforeTraining?.(model, trainSplit);
    const sampleInputs = recipe.modality === 'image' ? sampleSplit.images : sampleSplit.audio;
    if (!sampleInputs)
      throw new Error(`${recipe.dataset}: the sample split has no ${recipe.modality === 'image' ? 'images' : 'audio'}`);
    const result = await trainTextWriter(
      {
        model,
        trainSplit,
        inputsOf: (batch) => (recipe.modality === 'image' ? batch.images : batch.audio),
        sampleInputs,
        sampleReferences: sampleSplit.entries.map((entry) => entry.text),
        seed: recipe.seed,
        training: t,
        config,
      },
      options,
    );
    return { result, model };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainSplit?.dispose();
    sampleSplit?.dispose();
  }
}
