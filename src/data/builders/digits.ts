// `digits`: tri-modal samples — a spoken digit (as spoken-digits), a 32×32 image of the same digit
// rendered from a random system font with random size, rotation and position, and the word.
import { z } from 'zod';
import { encodeWav } from '../../modalities/audio/index.js';
import { progressReporter } from '../events.js';
import type { ManifestEntry } from '../format.js';
import { runPool } from '../pool.js';
import { defineBuilder, sampleFile, stratifiedSplits, writeBytes, writePng } from './common.js';
import { loadDigitGlyphs, drawPlacement, renderDigit, type Glyph } from './digit-glyphs.js';
import { DIGIT_CLIP_SAMPLES, SAMPLE_RATE, speakClip, voiceLabel } from './speech.js';
import { DIGIT_WORDS, digitSpeechOptions, digitVoicePicker } from './spoken-digits.js';

export const DIGIT_IMAGE_SIZE = 32;

export const digitsBuilder = defineBuilder({
  name: 'digits',
  summary: 'tri-modal digits: spoken clip + 32×32 font-rendered image + word',
  options: z.object(digitSpeechOptions),
  async build(context, opts) {
    const picker = await digitVoicePicker(opts);
    const glyphs = await loadDigitGlyphs();
    const words = Array.from({ length: opts.count }, (_, index) => DIGIT_WORDS[index % 10] as string);
    const splits = stratifiedSplits(words, opts, context.random);
    const voices = words.map((_, index) => picker.draw(context.random.fork('voice', index)));
    const fonts = words.map((_, index) => context.random.fork('font', index).int(glyphs.length));
    const entries: ManifestEntry[] = words.map((word, index) => ({
      id: `digits-${String(index).padStart(5, '0')}`,
      split: splits[index] ?? 'train',
      text: word,
      image: sampleFile('images', index, opts.count, 'png'),
      audio: sampleFile('audio', index, opts.count, 'wav'),
      attributes: {
        digit: word,
        font: (glyphs[fonts[index] ?? 0]?.[0] as Glyph).font,
        voice: voiceLabel(voices[index] as (typeof voices)[number]),
      },
    }));
    const report = progressReporter(context.onEvent, opts.count, 'speaking and drawing digits');
    await runPool(
      opts.count,
      context.concurrency,
      async (index) => {
        const entry = entries[index] as ManifestEntry;
        const glyph = glyphs[fonts[index] ?? 0]?.[index % 10] as Glyph;
        const placement = drawPlacement(glyph, DIGIT_IMAGE_SIZE, context.random.fork('placement', index));
        await writePng(context, entry.image as string, renderDigit(glyph, placement, DIGIT_IMAGE_SIZE));
        const clip = await speakClip(entry.text, voices[index] as (typeof voices)[number], DIGIT_CLIP_SAMPLES);
        await writeBytes(context, entry.audio as string, encodeWav(clip, SAMPLE_RATE));
      },
      report,
      context.signal,
    );
    return {
      entries,
      description: 'tri-modal digits: spoken (espeak-ng), drawn (system fonts) and written',
      image: { width: DIGIT_IMAGE_SIZE, height: DIGIT_IMAGE_SIZE, channels: 1, format: 'png' },
      audio: { sampleRate: SAMPLE_RATE, samples: DIGIT_CLIP_SAMPLES, channels: 1, format: 'wav' },
      attributes: {
        digit: [...DIGIT_WORDS],
        font: glyphs.map((fontGlyphs) => (fontGlyphs[0] as Glyph).font),
        voice: [...new Set(entries.map((entry) => entry.attributes?.voice ?? ''))].sort(),
      },
      provenance: {
        sources: [
          'speech: espeak-ng (Debian espeak-ng), resampled to 16 kHz',
          'images: Debian fonts-dejavu-core, fonts-liberation2, fonts-freefont-ttf rendered through sharp (Pango)',
        ],
        licence:
          'generated (fonts under their own free licences: Bitstream Vera/DejaVu, SIL OFL, GPL with font exception)',
      },
    };
  },
});
