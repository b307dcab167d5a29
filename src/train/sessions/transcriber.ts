// Wires the transcriber to an audio dataset (spoken digits, shapes --spoken) and the shared text-writer session.
import { Transcriber, type TranscriberConfig } from '../../models/transcriber.js';
import type { TrainResult } from '../loop.js';
import type { SessionOptions } from './common.js';
import { trainTextWriterRecipe } from './text-writer.js';

export async function trainTranscriber(
  config: TranscriberConfig,
  options: SessionOptions,
): Promise<{ result: TrainResult; model: Transcriber }> {
  return trainTextWriterRecipe(
    {
      dataset: config.dataset,
      seed: config.seed,
      training: config.training,
      modality: 'audio',
      create: (dataset, tokenizer) => {
        const audioInfo = dataset.info.modalities.audio;
        if (!audioInfo)
          throw new Error(
            `dataset ${config.dataset} has no audio; a transcriber needs spoken clips (e.g. \`mmgen data build spoken-digits\` or \`shapes -- --spoken\`)`,
          );
        const audio = { sampleRate: audioInfo.sampleRate, samples: audioInfo.samples };
        return { model: new Transcriber(config, tokenizer, audio), config: { ...config, audioShape: audio } };
      },
    },
    options,
  );
}
