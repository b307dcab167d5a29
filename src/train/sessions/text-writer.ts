// The training session every text-writing recipe shares (captioner, transcriber): word tokenizer from
// the training texts (bos … eos), seeded batches, texts written for fixed validation inputs every
// sampleEvery steps (reported and saved under samples/), checkpoints and exact resume.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BatchLoader, disposeBatch, type Batch, type BatchCursor } from '../../data/batches.js';
import { writeFileAtomic } from '../../data/files.js';
import type { LoadedSplit } from '../../data/loader.js';
import { Tokenizer } from '../../modalities/text/index.js';
import type { FeatureEncoder, TextWriter } from '../../models/text-writer.js';
import type { Tensor } from '../../tensor/index.js';
import { type TrainResult, train } from '../loop.js';
import type { SessionOptions } from './text-to-image.js';

/** Loads (on resume) or builds and saves the run's word tokenizer from the training texts. */
export async function runTokenizer(runDir: string, resume: boolean, texts: () => string[]): Promise<Tokenizer> {
  const path = join(runDir, 'tokenizer.json');
  if (resume && existsSync(path)) return Tokenizer.load(path);
  const tokenizer = Tokenizer.fromCorpus(texts(), { level: 'word' });
  await tokenizer.save(path);
  return tokenizer;
}

/** What the loader encodes a text to: bos, the words, eos. */
export const withBosEos = (tokenizer: Tokenizer): { encode(text: string): number[]; padId: number } => ({
  encode: (text: string) => tokenizer.encode(text, { addBos: true, addEos: true }),
  padId: tokenizer.padId,
});

/** Writes sample texts to samples/step-N.txt and samples/latest.txt; returns the first path. */
async function writeSampleTexts(folder: string, step: number, samples: { reference: string; text: string }[]): Promise<string> {
  const body = `${samples.map((sample) => `${sample.text}\t(reference: ${sample.reference})`).join('\n')}\n`;
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
  training: { steps: number; batchSize: number; sampleEvery: number; checkpointEvery: number; keepLast: number; logEvery: number };
  /** What goes to config.json. */
  config: object;
}

export async function trainTextWriter<Encoder extends FeatureEncoder>(session: TextWriterSession<Encoder>, options: SessionOptions): Promise<TrainResult> {
  const { model, trainSplit, training: t } = session;
  const loader = new BatchLoader(trainSplit, { batchSize: Math.min(t.batchSize, trainSplit.size), seed: session.seed, imagesAsFloat: true });
  return train({
    modules: model.modules,
    optimizers: model.optimizers,
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
      const samples = texts.map((text, index) => ({ reference: model.tokenizer.normalize(session.sampleReferences[index] ?? ''), text: text.text }));
      options.onEvent?.({ type: 'texts', step, samples });
      return [await writeSampleTexts(folder, step, samples)];
    },
    cursor: () => loader.cursor,
    restoreCursor: (cursor) => loader.restore(cursor as BatchCursor),
  }, {
    runDir: options.runDir,
    totalSteps: t.steps,
    seed: session.seed,
    config: session.config,
    checkpointEvery: t.checkpointEvery,
    keepLast: t.keepLast,
    sampleEvery: t.sampleEvery,
    logEvery: t.logEvery,
    resume: options.resume ?? false,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.stopAfter !== undefined ? { stopAfter: options.stopAfter } : {}),
  });
}
