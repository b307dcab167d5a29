// Loading a trained transcriber run, and bringing any WAV to the clip the model hears: channels folded
// to mono (readWav averages them), resampled to the model's rate, silence trimmed, centred and padded
// to the clip length. Silent clips and clips longer than the model hears are clear errors.
import { clipForModel, readWav } from '../modalities/audio/index.js';
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
  if (!audio || !Number.isInteger(audio.sampleRate) || !Number.isInteger(audio.samples))
    throw new Error(`${runDir}/config.json lacks audioShape; was it written by \`mmgen train\`?`);
  const model = await loadTrainedWriter(runDir, (tokenizer) => new Transcriber(config, tokenizer, audio));
  return { model, config, dataset: config.dataset };
}

/** Reads and prepares a WAV file (or its bytes); errors name the file. */
export async function readClip(
  input: string | Uint8Array,
  shape: AudioShape,
  label = typeof input === 'string' ? input : '(WAV bytes)',
): Promise<Float32Array> {
  return clipForModel(await readWav(input, { name: label }), shape, label);
}
