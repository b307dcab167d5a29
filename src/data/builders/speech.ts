// Spoken clips for datasets: espeak-ng speech with a seeded voice, silence trimmed, resampled to
// 16 kHz, peak-normalised, and centred in a fixed-length window (padded or cut evenly at both ends).
import { encodeWav, resample } from '../../modalities/audio/index.js';
import { progressReporter } from '../events.js';
import type { AudioInfo, ManifestEntry } from '../format.js';
import { runPool } from '../pool.js';
import type { Random } from '../random.js';
import { sampleFile, writeBytes, type BuildContext } from './common.js';
import { availableVariants, checkEspeak, drawVoice, speak, type VoiceSettings } from './espeak.js';

export const SAMPLE_RATE = 16000;
/** WaveGAN's SC09 clip: 16 384 samples at 16 kHz (~1 s). */
export const DIGIT_CLIP_SAMPLES = 16384;
const PEAK = 0.9;

// inference-time clip preparation lives in modalities/audio; the builders and their tests use it from here too
export { centreClip, trimSilence } from '../../modalities/audio/clip.js';
import { centreClip, trimSilence } from '../../modalities/audio/clip.js';

export interface SpeechRanges {
  speed: [number, number];
  pitch: [number, number];
}

/** Speaks text with the given voice and returns a 16 kHz clip of exactly `length` samples. */
export async function speakClip(text: string, voice: VoiceSettings, length: number): Promise<Float32Array> {
  const speech = await speak(text, voice);
  const trimmed = trimSilence(speech.samples);
  if (trimmed.length === 0)
    throw new Error(`espeak-ng produced silence for "${text}" with voice ${voice.voice}+${voice.variant}`);
  // resampy's 'kaiser_fast' settings: half the taps of the default, ample for 8 kHz-band speech
  const resampled = resample(trimmed, speech.sampleRate, SAMPLE_RATE, { zeroCrossings: 16, rolloff: 0.85 });
  let peak = 0;
  for (const value of resampled) peak = Math.max(peak, Math.abs(value));
  const gain = peak > 0 ? PEAK / peak : 1;
  for (let i = 0; i < resampled.length; i++) resampled[i] = (resampled[i] ?? 0) * gain;
  return centreClip(resampled, length);
}

/** A seeded voice per sample, drawn from espeak-ng's English voices and variants. */
export class VoicePicker {
  private constructor(
    private readonly variants: string[],
    private readonly ranges: SpeechRanges,
  ) {}

  static async create(ranges: SpeechRanges): Promise<VoicePicker> {
    const install = await checkEspeak();
    return new VoicePicker(availableVariants(install), ranges);
  }

  draw(random: Random): VoiceSettings {
    return drawVoice(random, this.variants, this.ranges.speed, this.ranges.pitch);
  }
}

export const voiceLabel = (voice: VoiceSettings): string =>
  voice.variant === '' ? voice.voice : `${voice.voice}+${voice.variant}`;

/** Parses "120-220" style ranges for command-line options. */
export function parseRange(text: string, what: string, low: number, high: number): [number, number] {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*$/.exec(text);
  const from = Number(match?.[1]);
  const to = Number(match?.[2] ?? match?.[1]);
  if (!match || from > to || from < low || to > high)
    throw new Error(`--${what} must be a range like ${low}-${high} within ${low}..${high}, got "${text}"`);
  return [from, to];
}

/** Adds a spoken version of every entry's caption (audio/NNNNN.wav); used by `shapes --spoken`. */
export async function speakCaptions(
  context: BuildContext,
  entries: ManifestEntry[],
  length = 65536,
): Promise<AudioInfo> {
  const picker = await VoicePicker.create({ speed: [150, 210], pitch: [25, 75] });
  const report = progressReporter(context.onEvent, entries.length, 'speaking captions (espeak-ng)');
  await runPool(
    entries.length,
    context.concurrency,
    async (index) => {
      const entry = entries[index] as ManifestEntry;
      const voice = picker.draw(context.random.fork('voice', index));
      const clip = await speakClip(entry.text, voice, length);
      entry.audio = sampleFile('audio', index, entries.length, 'wav');
      await writeBytes(context, entry.audio, encodeWav(clip, SAMPLE_RATE));
    },
    report,
    context.signal,
  );
  return { sampleRate: SAMPLE_RATE, samples: length, channels: 1, format: 'wav' };
}
