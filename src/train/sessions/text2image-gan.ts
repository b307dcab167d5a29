// Wires the text2image-gan recipe to a dataset and the training loop: tokenizer from the training
// captions, seeded batches, fixed sample prompts and noise, checkpoints and exact resume.
import { mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BatchLoader, disposeBatch, type BatchCursor } from '../../data/batches.js';
import { readDataset } from '../../data/format.js';
import { loadSplit, type LoadedSplit } from '../../data/loader.js';
import { tensorToImages, writeContactSheet } from '../../modalities/image/index.js';
import { Tokenizer } from '../../modalities/text/index.js';
import { Text2ImageGan, type Text2ImageGanConfig } from '../../models/text2image-gan.js';
import type { DataEventHandler } from '../../data/events.js';
import { type TrainResult, type TrainingTask, train } from '../loop.js';
import type { EventSink } from '../events.js';

export interface SessionOptions {
  runDir: string;
  resume?: boolean;
  onEvent?: EventSink;
  onData?: DataEventHandler;
  signal?: AbortSignal;
  /** For tests of resume: stop after this step as if interrupted. */
  stopAfter?: number;
}

/** Distinct captions from the validation split (or train), in manifest order: the fixed sample prompts. */
function samplePrompts(split: LoadedSplit, count: number): string[] {
  const seen: string[] = [];
  for (const entry of split.entries) {
    if (!seen.includes(entry.text)) seen.push(entry.text);
    if (seen.length === count) break;
  }
  return seen;
}

export async function trainText2ImageGan(config: Text2ImageGanConfig, options: SessionOptions): Promise<{ result: TrainResult; model: Text2ImageGan }> {
  const dataset = await readDataset(config.dataset);
  const imageInfo = dataset.info.modalities.image;
  if (!imageInfo) throw new Error(`dataset ${config.dataset} has no images; text2image-gan needs an image dataset (e.g. \`mmgen data build shapes\`)`);
  if (imageInfo.width !== imageInfo.height) throw new Error(`text2image-gan needs square images; ${config.dataset} has ${imageInfo.width}×${imageInfo.height}`);
  await mkdir(options.runDir, { recursive: true });
  const tokenizerPath = join(options.runDir, 'tokenizer.json');
  let tokenizer: Tokenizer;
  if (options.resume && existsSync(tokenizerPath)) tokenizer = await Tokenizer.load(tokenizerPath);
  else {
    tokenizer = Tokenizer.fromCorpus(dataset.entries.filter((entry) => entry.split === 'train').map((entry) => entry.text), { level: 'word' });
    await tokenizer.save(tokenizerPath);
  }
  const textOptions = { tokenizer, padId: tokenizer.padId };
  const trainSplit = await loadSplit(dataset, { split: 'train', images: 'uint8', text: textOptions, ...(config.training.trainLimit ? { limit: config.training.trainLimit } : {}), ...(options.onData ? { onEvent: options.onData } : {}) });
  const promptSplit = dataset.info.splits.val > 0 ? await loadSplit(dataset, { split: 'val', images: false, text: textOptions, limit: 400 }) : trainSplit;
  const shape = { channels: imageInfo.channels, size: imageInfo.width };
  const model = new Text2ImageGan(config, tokenizer, shape);
  const loader = new BatchLoader(trainSplit, { batchSize: config.training.batchSize, seed: config.seed, imagesAsFloat: true });
  const prompts = samplePrompts(promptSplit, 8);
  const sampleTexts = prompts.flatMap((prompt) => [prompt, prompt]);

  const task: TrainingTask = {
    modules: { generator: model.generator, discriminator: model.discriminator },
    optimizers: { generator: model.generatorOptimizer, discriminator: model.discriminatorOptimizer },
    emas: { generator: model.ema },
    generators: { training: model.trainingRandom },
    step: () => {
      const batch = loader.next();
      try {
        if (!batch.images || !batch.tokens || !batch.lengths) throw new Error('the training batch lacks images or captions');
        return model.trainStep(batch.images, { tokens: batch.tokens, lengths: batch.lengths });
      } finally {
        disposeBatch(batch);
      }
    },
    sample: async (folder, step) => {
      model.syncEma();
      // fixed noise: the same seed at every sample step, so a user watches the same prompts improve
      const images = model.generate(sampleTexts, config.seed + 7);
      const raw = tensorToImages(images, { range: 'signed' });
      images.dispose();
      const tiles = raw.map((image, index) => ({ image, caption: sampleTexts[index] ?? '' }));
      const file = join(folder, `step-${String(step).padStart(7, '0')}.png`);
      await writeContactSheet(file, tiles, { columns: 4, tileSize: [96, 96] });
      await writeContactSheet(join(folder, 'latest.png'), tiles, { columns: 4, tileSize: [96, 96] });
      return [file];
    },
    cursor: () => loader.cursor,
    restoreCursor: (cursor) => loader.restore(cursor as BatchCursor),
  };
  const t = config.training;
  try {
    const result = await train(task, {
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
    model.syncEma();
    return { result, model };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainSplit.dispose();
    if (promptSplit !== trainSplit) promptSplit.dispose();
    await rm(join(options.runDir, '.tmp'), { recursive: true, force: true });
  }
}
