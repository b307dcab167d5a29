// `spoken-digits`: "zero"…"nine" spoken by espeak-ng over its English voices and variants with
// random speed and pitch, 16 kHz mono, 16 384 samples per clip (the shape of WaveGAN's SC09).
import { z } from 'zod';
import { encodeWav } from '../../modalities/audio/index.js';
import { progressReporter } from '../events.js';
import type { ManifestEntry } from '../format.js';
import { runPool } from '../pool.js';
import { defineBuilder, sampleFile, stratifiedSplits, writeBytes } from './common.js';
import { DIGIT_CLIP_SAMPLES, SAMPLE_RATE, VoicePicker, parseRange, speakClip, voiceLabel } from './speech.js';

export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

const range = /^\s*\d+(\.\d+)?\s*(-\s*\d+(\.\d+)?\s*)?$/;

/** Options shared with the tri-modal `digits` builder. */
export const digitSpeechOptions = {
  count: z.coerce.number().int().min(1).default(20000).describe('number of clips, balanced over the ten digits'),
  val: z.coerce.number().min(0).max(0.5).default(0.1).describe('fraction of each digit for validation'),
  test: z.coerce.number().min(0).max(0.5).default(0.1).describe('fraction of each digit for test'),
  speed: z
    .string()
    .regex(range, 'expected a range like 130-230')
    .default('130-230')
    .describe('espeak-ng speed range in words per minute'),
  pitch: z
    .string()
    .regex(range, 'expected a range like 20-80')
    .default('20-80')
    .describe('espeak-ng pitch range (0-99)'),
};

export async function digitVoicePicker(options: { speed: string; pitch: string }): Promise<VoicePicker> {
  return VoicePicker.create({
    speed: parseRange(options.speed, 'speed', 80, 450),
    pitch: parseRange(options.pitch, 'pitch', 0, 99),
  });
}

export const spokenDigitsBuilder = defineBuilder({
  name: 'spoken-digits',
  summary: 'spoken digits zero…nine from espeak-ng voices, 16 kHz, 16 384 samples per clip',
  options: z.object(digitSpeechOptions),
  async build(context, opts) {
    const picker = await digitVoicePicker(opts);
    const words = Array.from({ length: opts.count }, (_, index) => DIGIT_WORDS[index % 10] as string);
    const splits = stratifiedSplits(words, opts, context.random);
    const voices = words.map((_, index) => picker.draw(context.random.fork('voice', index)));
    const entries: ManifestEntry[] = words.map((word, index) => ({
      id: `spoken-digits-${String(index).padStart(5, '0')}`,
      split: splits[index] ?? 'train',
      text: word,
      audio: sampleFile('audio', index, opts.count, 'wav'),
      attributes: { digit: word, voice: voiceLabel(voices[index] as (typeof voices)[number]) },
    }));
    const report = progressReporter(context.onEvent, opts.count, 'speaking digits (espeak-ng)');
    await runPool(
      opts.count,
      context.concurrency,
      async (index) => {
        const entry = entries[index] as ManifestEntry;
        const clip = await speakClip(entry.text, voices[index] as (typeof voices)[number], DIGIT_CLIP_SAMPLES);
        await writeBytes(context, entry.audio as string, encodeWav(clip, SAMPLE_RATE));
      },
      report,
      context.signal,
    );
    return {
      entries,
      description: 'spoken digits zero…nine (espeak-ng English voices, variants, speeds and pitches)',
      audio: { sampleRate: SAMPLE_RATE, samples: DIGIT_CLIP_SAMPLES, channels: 1, format: 'wav' },
      attributes: {
        digit: [...DIGIT_WORDS],
        voice: [...new Set(entries.map((entry) => entry.attributes?.voice ?? ''))].sort(),
      },
      provenance: {
        sources: ['speech: espeak-ng (Debian espeak-ng), resampled from 22 050 Hz to 16 kHz'],
        licence: 'generated (espeak-ng is GPL-3+; its output is not restricted)',
      },
    };
  },
});
