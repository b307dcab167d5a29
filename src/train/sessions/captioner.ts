// Wires the captioner to an image dataset and the shared text-writer session.
import { mkdir } from 'node:fs/promises';
import { readDataset } from '../../data/format.js';
import { loadSplit } from '../../data/loader.js';
import { Captioner, type CaptionerConfig } from '../../models/captioner.js';
import { captionerShape } from '../../models/captioner-run.js';
import { manualSeed } from '../../tensor/index.js';
import type { TrainResult } from '../loop.js';
import type { SessionOptions } from './text-to-image.js';
import { runTokenizer, trainTextWriter, withBosEos } from './text-writer.js';

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
  try {
    const result = await trainTextWriter({
      model,
      trainSplit,
      inputsOf: (batch) => batch.images,
      sampleInputs: sampleSplit.images as NonNullable<typeof sampleSplit.images>,
      sampleReferences: sampleSplit.entries.map((entry) => entry.text),
      seed: config.seed,
      training: t,
      config: { ...config, imageShape: shape },
    }, options);
    return { result, model };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainSplit.dispose();
    sampleSplit.dispose();
  }
}
