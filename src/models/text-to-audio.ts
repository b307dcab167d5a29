// What every text→audio recipe offers the training session, the CLI and evaluation. A text→audio model
// generates a normalised log-mel spectrogram (modalities/audio SpectrogramCodec) with a text→image
// network over a one-channel square "image", and turns it into a waveform by mel inversion + Griffin-Lim.
import { z } from 'zod';
import type { Module } from '../nn/index.js';
import type { EMA, Optimizer } from '../optim/index.js';
import type { Tokenizer } from '../modalities/text/index.js';
import { SpectrogramCodec, type SpectrogramSettings } from '../modalities/audio/spectrogram-codec.js';
import { applyGain } from '../modalities/audio/level.js';
import type { Generator, Tensor } from '../tensor/index.js';
import type { TextBatch } from './prompts.js';
import type { ImageShape, TextToImageModel } from './text-to-image.js';

/** Spectrogram settings of a text→audio config: a 64×64 log-mel of a 16 384-sample clip by default. */
export const spectrogramConfig = z.strictObject({
  nFft: z.number().int().min(16).default(1024),
  hopLength: z.number().int().positive().default(256),
  /** Mel bands = frames kept: the generator draws a square. A power of two ≥ 8. */
  size: z
    .number()
    .int()
    .refine((value) => value >= 8 && Number.isInteger(Math.log2(value)), 'must be a power of two ≥ 8')
    .default(64),
  /** ln of the quietest mel magnitude kept (maps to -1, decoded as silence); ≈ -87 dB below a full-scale clip's peak. */
  floor: z.number().default(-10),
  /** ln of the mel magnitude that maps to +1. */
  ceiling: z.number().default(1),
  griffinLimIterations: z.number().int().positive().default(32),
});
export type SpectrogramConfig = z.output<typeof spectrogramConfig>;

/** Clip format of the dataset a run was trained on (written to config.json as audioShape). */
export type { AudioShape } from './data-shapes.js';
import type { AudioShape } from './data-shapes.js';

/** The codec of a config: `size` mel bands and `frames` frames (`size` too, a square, unless given). */
export function makeCodec(
  spectrogram: SpectrogramConfig & { frames?: number | undefined },
  audio: AudioShape,
): SpectrogramCodec {
  const settings: SpectrogramSettings = {
    sampleRate: audio.sampleRate,
    samples: audio.samples,
    nFft: spectrogram.nFft,
    hopLength: spectrogram.hopLength,
    nMels: spectrogram.size,
    frames: spectrogram.frames ?? spectrogram.size,
    floor: spectrogram.floor,
    ceiling: spectrogram.ceiling,
    griffinLimIterations: spectrogram.griffinLimIterations,
  };
  return new SpectrogramCodec(settings);
}

export interface GeneratedAudio {
  /** [N, 1, size, size] in [-1, 1]; the caller disposes it. */
  spectrograms: Tensor;
  /** One clip per prompt at the dataset's sample rate. */
  clips: Float32Array[];
}

export interface TextToAudioModel {
  readonly tokenizer: Tokenizer;
  readonly codec: SpectrogramCodec;
  readonly audio: AudioShape;
  readonly modules: Record<string, Module>;
  readonly optimizers: Record<string, Optimizer>;
  readonly emas: Record<string, EMA>;
  readonly generators: Record<string, Generator>;
  /** One step on a batch of encoded spectrograms [B, 1, size, size]. */
  trainStep(spectrograms: Tensor, text: TextBatch, step: number): Record<string, number>;
  /** Spectrograms and waveforms; the same seed gives the same bytes. onClip(done, total) follows each decoded clip. */
  generate(texts: string[], seed: number, onClip?: (done: number, total: number) => void): GeneratedAudio;
  /** Gain (dB) applied to generated clips, to bring them to the data's level (see audio-level.ts); 0 = as decoded. */
  outputGainDb: number;
  prepareForGeneration(): void;
  loadForGeneration(weights: Map<string, Tensor>): void;
  /** As TextToImageModel's: a GAN's discriminator rejection, measured on training captions. */
  calibrateGeneration?(captions: readonly string[], fraction?: number): string | undefined;
  readonly rejection?: number;
  dispose(): void;
}

/** A text→audio model around a text→image network that draws the spectrogram. */
export class SpectrogramModel implements TextToAudioModel {
  readonly codec: SpectrogramCodec;
  /** The core's, when it has one (GAN cores). */
  readonly calibrateGeneration?: (captions: readonly string[], fraction?: number) => string | undefined;
  outputGainDb = 0;
  constructor(
    readonly core: TextToImageModel,
    spectrogram: SpectrogramConfig,
    readonly audio: AudioShape,
  ) {
    this.codec = makeCodec(spectrogram, audio);
    if (core.calibrateGeneration) this.calibrateGeneration = core.calibrateGeneration.bind(core);
  }
  get rejection(): number | undefined {
    return this.core.rejection;
  }
  get tokenizer(): Tokenizer {
    return this.core.tokenizer;
  }
  get modules(): Record<string, Module> {
    return this.core.modules;
  }
  get optimizers(): Record<string, Optimizer> {
    return this.core.optimizers;
  }
  get emas(): Record<string, EMA> {
    return this.core.emas;
  }
  get generators(): Record<string, Generator> {
    return this.core.generators;
  }

  trainStep(spectrograms: Tensor, text: TextBatch, step: number): Record<string, number> {
    return this.core.trainStep(spectrograms, text, step);
  }

  generate(texts: string[], seed: number, onClip?: (done: number, total: number) => void): GeneratedAudio {
    // the shared prompt checks (too long, unknown words) follow in the core; this one gives a spoken example
    if (texts.some((text) => text.trim() === ''))
      throw new Error(`the prompt is empty; say what to voice, e.g. --text "${this.tokenizer.tokens[4] ?? 'seven'}"`);
    const spectrograms = this.core.generate(texts, seed);
    try {
      const clips = this.codec.decode(spectrograms, seed, onClip);
      if (this.outputGainDb === 0) return { spectrograms, clips };
      const gain = 10 ** (this.outputGainDb / 20);
      return { spectrograms, clips: clips.map((clip) => applyGain(clip, gain)) };
    } catch (error) {
      spectrograms.dispose();
      throw error;
    }
  }

  prepareForGeneration(): void {
    this.core.prepareForGeneration();
  }
  loadForGeneration(weights: Map<string, Tensor>): void {
    this.core.loadForGeneration(weights);
  }
  dispose(): void {
    this.core.dispose();
  }
}

/** The square one-channel picture the spectrogram network draws. */
export const spectrogramShape = (spectrogram: SpectrogramConfig): ImageShape => ({
  channels: 1,
  size: spectrogram.size,
});
