// Wires the captioner to a dataset and the training loop: word tokenizer from the training captions
// (bos … eos), seeded batches, captions of fixed validation images every sampleEvery steps (printed and
// written to samples/), checkpoints and exact resume.
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BatchLoader, disposeBatch, type BatchCursor } from '../../data/batches.js';
import { readDataset } from '../../data/format.js';
import { writeFileAtomic } from '../../data/files.js';
import { loadSplit } from '../../data/loader.js';
import { Tokenizer } from '../../modalities/text/index.js';
import { Captioner, type CaptionerConfig } from '../../models/captioner.js';
import { captionerShape } from '../../models/captioner-run.js';
import { manualSeed } from '../../tensor/index.js';
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

/** What the loader encodes a caption to: bos, the words, eos. */
export const withBosEos = (tokenizer: Tokenizer): { encode(text: string): number[]; padId: number } => ({
  encode: (text: string) => tokenizer.encode(text, { addBos: true, addEos: true }),
  padId: tokenizer.padId,
});

/** Writes sample texts to samples/step-N.txt and samples/latest.txt; returns the first path. */
export async function writeSampleTexts(folder: string, step: number, samples: { reference: string; text: string }[]): Promise<string> {
  const body = `${samples.map((sample) => `${sample.text}\t(reference: ${sample.reference})`).join('\n')}\n`;
  const file = join(folder, `step-${String(step).padStart(7, '0')}.txt`);
  await writeFileAtomic(file, body);
  await writeFileAtomic(join(folder, 'latest.txt'), body);
  return file;
}

export async function trainCaptioner(config: CaptionerConfig, options: SessionOptions): Promise<{ result: TrainResult; model: Captioner }> {
  const t = config.training;
  const dataset = await readDataset(config.dataset);
  const imageInfo = dataset.info.modalities.image;
  if (!imageInfo) throw new Error(`dataset ${config.dataset} has no images; a captioner needs an image dataset (e.g. \`mmgen data build shapes\`)`);
  await mkdir(options.runDir, { recursive: true });
  const tokenizer = await runTokenizer(options.runDir, options.resume ?? false, () => dataset.entries.filter((entry) => entry.split === 'train').map((entry) => entry.text));
  const text = { tokenizer: withBosEos(tokenizer) };
  const trainSplit = await loadSplit(dataset, { split: 'train', images: 'uint8', text, ...(t.trainLimit ? { limit: t.trainLimit } : {}), ...(options.onData ? { onEvent: options.onData } : {}) });
  const sampleSplit = await loadSplit(dataset, { split: dataset.info.splits.val > 0 ? 'val' : 'train', images: 'float32', limit: 8 });
  const shape = captionerShape(config, imageInfo);
  if (!options.resume) manualSeed(config.seed);
  const model = new Captioner(config, tokenizer, shape);
  const loader = new BatchLoader(trainSplit, { batchSize: Math.min(t.batchSize, trainSplit.size), seed: config.seed, imagesAsFloat: true });
  try {
    const result = await train({
      modules: model.modules,
      optimizers: model.optimizers,
      step: (step) => {
        const batch = loader.next();
        try {
          if (!batch.images || !batch.tokens) throw new Error('the training batch lacks images or captions');
          return model.trainStep(batch.images, batch.tokens, step);
        } finally {
          disposeBatch(batch);
        }
      },
      sample: async (folder, step) => {
        const captions = model.caption(sampleSplit.images as NonNullable<typeof sampleSplit.images>, { beam: 1 });
        const samples = captions.map((caption, index) => ({ reference: tokenizer.normalize(sampleSplit.entries[index]?.text ?? ''), text: caption.text }));
        options.onEvent?.({ type: 'texts', step, samples });
        return [await writeSampleTexts(folder, step, samples)];
      },
      cursor: () => loader.cursor,
      restoreCursor: (cursor) => loader.restore(cursor as BatchCursor),
    }, {
      runDir: options.runDir,
      totalSteps: t.steps,
      seed: config.seed,
      config: { ...config, imageShape: shape },
      checkpointEvery: t.checkpointEvery,
      keepLast: t.keepLast,
      sampleEvery: t.sampleEvery,
      logEvery: t.logEvery,
      resume: options.resume ?? false,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.stopAfter !== undefined ? { stopAfter: options.stopAfter } : {}),
    });
    return { result, model };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainSplit.dispose();
    sampleSplit.dispose();
  }
}
