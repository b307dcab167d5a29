// Bringing any clip to the fixed window a model hears: silence trimmed, centred and padded (or cut evenly).
// Used at inference (transcribe, translate, eval of WAV files) and by the speech dataset builders alike.
import { type Tensor, tensor } from '../../tensor/index.js';
import { resample } from './resample.js';
import type { WavAudio } from './wav.js';

/** Clips of one length as a batch of waveforms [N, samples] (each cut to `samples`). */
export function clipsToTensor(clips: readonly Float32Array[], samples = clips[0]?.length ?? 0): Tensor {
  const flat = new Float32Array(clips.length * samples);
  clips.forEach((clip, index) => flat.set(clip.subarray(0, samples), index * samples));
  return tensor(flat, { shape: [clips.length, samples] });
}

/** Drops leading and trailing samples quieter than `threshold` × the peak (keeping a short margin). */
export function trimSilence(samples: Float32Array, threshold = 0.02, margin = 160): Float32Array {
  let peak = 0;
  for (const value of samples) peak = Math.max(peak, Math.abs(value));
  if (peak === 0) return samples.slice(0, 0);
  const level = peak * threshold;
  let start = 0;
  while (start < samples.length && Math.abs(samples[start] ?? 0) < level) start++;
  let end = samples.length;
  while (end > start && Math.abs(samples[end - 1] ?? 0) < level) end--;
  return samples.slice(Math.max(0, start - margin), Math.min(samples.length, end + margin));
}

/** Centres a clip in `length` samples: zero-padded evenly, or cut evenly at both ends. */
export function centreClip(samples: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  if (samples.length <= length) {
    out.set(samples, Math.floor((length - samples.length) / 2));
  } else {
    const start = Math.floor((samples.length - length) / 2);
    out.set(samples.subarray(start, start + length));
  }
  return out;
}

/** The clip format a model hears: its sample rate and the clip length every input is padded or cut to. */
export interface ClipShape {
  sampleRate: number;
  samples: number;
}

/** Peak below which a clip counts as silent (about -80 dBFS). */
const SILENCE = 1e-4;

/** A decoded WAV as the model's clip: resampled, trimmed, centred; `label` names the input in errors. */
export function clipForModel(
  wav: Pick<WavAudio, 'samples' | 'sampleRate'>,
  shape: ClipShape,
  label: string,
): Float32Array {
  let peak = 0;
  for (const value of wav.samples) peak = Math.max(peak, Math.abs(value));
  if (peak < SILENCE) throw new Error(`${label} is silent (peak ${peak.toExponential(1)}); nothing to transcribe`);
  const samples =
    wav.sampleRate === shape.sampleRate ? wav.samples : resample(wav.samples, wav.sampleRate, shape.sampleRate);
  const speech = trimSilence(samples);
  if (speech.length > shape.samples) {
    throw new Error(
      `${label} holds ${(speech.length / shape.sampleRate).toFixed(2)} s of sound, longer than the ${(shape.samples / shape.sampleRate).toFixed(2)} s this model hears; cut it into shorter clips`,
    );
  }
  return centreClip(speech, shape.samples);
}
