// Loading a trained transcriber run, and bringing any WAV to the clip the model hears: channels folded
// to mono (readWav averages them), resampled to the model's rate, silence trimmed, centred and padded
// to the clip length. Silent clips and clips longer than the model hears are clear errors.
import { centreClip, trimSilence } from '../data/builders/speech.js';
import { type WavAudio, readWav, resample } from '../modalities/audio/index.js';
import { loadTrainedWriter, readRecipeRun } from './text-writer-run.js';
import { type AudioShape, Transcriber, type TranscriberConfig, transcriberConfig } from './transcriber.js';

export interface LoadedTranscriber {
  model: Transcriber;
  config: TranscriberConfig;
  dataset: string;
}

export async function loadTranscriberRun(runDir: string): Promise<LoadedTranscriber> {
  const { config, raw } = await readRecipeRun(runDir, 'transcriber', 'a transcriber', transcriberConfig);
  const audio = raw.audioShape as AudioShape | undefined;
  if (!audio || !Number.isInteger(audio.sampleRate) || !Number.isInteger(audio.samples)) throw new Error(`${runDir}/config.json lacks audioShape; was it written by \`mmgen train\`?`);
  const model = await loadTrainedWriter(runDir, (tokenizer) => new Transcriber(config, tokenizer, audio));
  return { model, config, dataset: config.dataset };
}

/** Peak below which a clip counts as silent (about -80 dBFS). */
const SILENCE = 1e-4;

/** A decoded WAV as the model's clip; `label` names the file in errors. */
export function clipForModel(wav: WavAudio, shape: AudioShape, label: string): Float32Array {
  let peak = 0;
  for (const value of wav.samples) peak = Math.max(peak, Math.abs(value));
  if (peak < SILENCE) throw new Error(`${label} is silent (peak ${peak.toExponential(1)}); nothing to transcribe`);
  const samples = wav.sampleRate === shape.sampleRate ? wav.samples : resample(wav.samples, wav.sampleRate, shape.sampleRate);
  const speech = trimSilence(samples);
  if (speech.length > shape.samples) {
    throw new Error(`${label} holds ${(speech.length / shape.sampleRate).toFixed(2)} s of sound, longer than the ${(shape.samples / shape.sampleRate).toFixed(2)} s this model hears; cut it into shorter clips`);
  }
  return centreClip(speech, shape.samples);
}

/** Reads and prepares a WAV file; errors name the file. */
export async function readClip(path: string, shape: AudioShape): Promise<Float32Array> {
  return clipForModel(await readWav(path), shape, path);
}
