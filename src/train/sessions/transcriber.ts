// Wires the transcriber to an audio dataset (spoken digits, shapes --spoken) and the shared text-writer session.
import { mkdir } from 'node:fs/promises';
import { readDataset } from '../../data/format.js';
import { loadSplit } from '../../data/loader.js';
import { Transcriber, type TranscriberConfig } from '../../models/transcriber.js';
import { manualSeed } from '../../tensor/index.js';
import type { TrainResult } from '../loop.js';
import type { SessionOptions } from './text-to-image.js';
import { runTokenizer, trainTextWriter, withBosEos } from './text-writer.js';

export async function trainTranscriber(config: TranscriberConfig, options: SessionOptions): Promise<{ result: TrainResult; model: Transcriber }> {
  const t = config.training;
  const dataset = await readDataset(config.dataset);
  const audioInfo = dataset.info.modalities.audio;
  if (!audioInfo) throw new Error(`dataset ${config.dataset} has no audio; a transcriber needs spoken clips (e.g. \`mmgen data build spoken-digits\` or \`shapes -- --spoken\`)`);
  await mkdir(options.runDir, { recursive: true });
  const tokenizer = await runTokenizer(options.runDir, options.resume ?? false, () => dataset.entries.filter((entry) => entry.split === 'train').map((entry) => entry.text));
  const text = { tokenizer: withBosEos(tokenizer) };
  const trainSplit = await loadSplit(dataset, { split: 'train', images: false, text, ...(t.trainLimit ? { limit: t.trainLimit } : {}), ...(options.onData ? { onEvent: options.onData } : {}) });
  const sampleSplit = await loadSplit(dataset, { split: dataset.info.splits.val > 0 ? 'val' : 'train', images: false, limit: 8 });
  const audio = { sampleRate: audioInfo.sampleRate, samples: audioInfo.samples };
  if (!options.resume) manualSeed(config.seed);
  const model = new Transcriber(config, tokenizer, audio);
  try {
    const result = await trainTextWriter({
      model,
      trainSplit,
      inputsOf: (batch) => batch.audio,
      sampleInputs: sampleSplit.audio as NonNullable<typeof sampleSplit.audio>,
      sampleReferences: sampleSplit.entries.map((entry) => entry.text),
      seed: config.seed,
      training: t,
      config: { ...config, audioShape: audio },
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
