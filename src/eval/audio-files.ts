// Reading the user's WAVs for judging: each file becomes a mono clip of the judge's length and rate, or
// a failure naming the file and why. Stereo is folded to mono, another sample rate is resampled, quiet
// edges are trimmed and the sound centred; empty, corrupt, silent or too-long files are refused. One
// bad file never loses the others.
import { readWav, resample } from '../modalities/audio/index.js';
import { centreClip, trimSilence } from '../modalities/audio/clip.js';
import { reasonOf } from '../data/files.js';

export interface ClipFormat {
  sampleRate: number;
  samples: number;
}
export interface UserClip {
  file: string;
  samples: Float32Array;
  notes: string[];
}
export interface ClipFailure {
  file: string;
  reason: string;
}

/** Peak below which a file counts as silent (about -80 dBFS). */
const SILENCE_PEAK = 1e-4;

/** Reads one WAV as a clip of the given format; throws an Error naming the file. */
export async function readClip(file: string, format: ClipFormat): Promise<UserClip> {
  const wav = await readWav(file);
  const notes: string[] = [];
  if (wav.channels > 1) notes.push(`${wav.channels} channels folded to mono`);
  let samples = wav.samples;
  if (wav.sampleRate !== format.sampleRate) {
    notes.push(`resampled from ${wav.sampleRate} Hz`);
    samples = resample(samples, wav.sampleRate, format.sampleRate);
  }
  let peak = 0;
  for (const value of samples) if (Number.isFinite(value)) peak = Math.max(peak, Math.abs(value));
  if (peak < SILENCE_PEAK)
    throw new Error(`${file} is silent (peak ${peak.toExponential(1)}); record or generate a clip with sound in it`);
  const sound = trimSilence(samples);
  const seconds = (count: number): string => `${(count / format.sampleRate).toFixed(2)} s`;
  if (sound.length > format.samples) {
    throw new Error(
      `${file} holds ${seconds(sound.length)} of sound; the judge reads clips of at most ${seconds(format.samples)} — cut it to one word`,
    );
  }
  return { file, samples: centreClip(sound, format.samples), notes };
}

/** Reads every file; the bad ones are returned as failures, in input order, beside the good clips. */
export async function readClips(
  files: readonly string[],
  format: ClipFormat,
): Promise<{ clips: UserClip[]; failures: ClipFailure[] }> {
  const clips: UserClip[] = [];
  const failures: ClipFailure[] = [];
  for (const file of files) {
    try {
      clips.push(await readClip(file, format));
    } catch (error) {
      failures.push({ file, reason: reasonOf(error) });
    }
  }
  return { clips, failures };
}
