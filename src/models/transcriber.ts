// Recipe transcriber: audio → text. Log-mel features (normalised per clip, so loudness does not matter)
// go through the spectrogram encoder; the shared attention text decoder writes the words (training and
// decoding in text-writer.ts).
import { z } from 'zod';
import { logMelSpectrogram } from '../modalities/audio/index.js';
import { SpectrogramEncoder } from '../modalities/audio/spectrogram-encoder.js';
import type { GenerateTextOptions, GeneratedText } from '../modalities/text/generate.js';
import type { Tokenizer } from '../modalities/text/index.js';
import { type Tensor, tidy } from '../tensor/index.js';
import { TextWriter, textWriterConfig } from './text-writer.js';

export const transcriberConfig = textWriterConfig('transcriber', {
  mels: z.number().int().min(16).default(64),
  nFft: z.number().int().min(64).default(512),
  hopLength: z.number().int().positive().default(256),
  encoderChannels: z.number().int().positive().default(32),
  featureDim: z.number().int().positive().default(128),
});
export type TranscriberConfig = z.output<typeof transcriberConfig>;

/** What a transcriber hears: the sample rate and the clip length every input is padded or cut to. */
export type { AudioShape } from './data-shapes.js';
import type { AudioShape } from './data-shapes.js';

export class Transcriber extends TextWriter<SpectrogramEncoder> {
  constructor(
    readonly config: TranscriberConfig,
    tokenizer: Tokenizer,
    readonly audio: AudioShape,
  ) {
    const m = config.model;
    super(
      new SpectrogramEncoder({ mels: m.mels, baseChannels: m.encoderChannels, featureDim: m.featureDim }),
      tokenizer,
      {
        training: config.training,
        decoding: config.decoding,
        decoder: {
          memoryDim: m.featureDim,
          embeddingDim: m.embeddingDim,
          hiddenSize: m.hiddenSize,
          dropout: m.dropout,
        },
      },
    );
  }

  /** Waveforms [B, samples] at audio.sampleRate → normalised log-mel features [B, mels, frames]. */
  prepare(waveforms: Tensor): Tensor {
    if (waveforms.rank !== 2)
      throw new Error(`a transcriber reads waveforms [batch, samples], got [${waveforms.shape.join(', ')}]`);
    const m = this.config.model;
    return tidy(() => {
      const features = logMelSpectrogram(waveforms, {
        sampleRate: this.audio.sampleRate,
        nFft: m.nFft,
        hopLength: m.hopLength,
        nMels: m.mels,
      });
      const mean = features.mean([1, 2], true);
      const std = features.sub(mean).square().mean([1, 2], true).add(1e-5).sqrt();
      return features.sub(mean).div(std);
    });
  }

  transcribe(waveforms: Tensor, options: GenerateTextOptions = {}): GeneratedText[] {
    return this.write(waveforms, options);
  }
}
