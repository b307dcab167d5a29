// `mmgen generate RUN --text "seven"` for a text→audio run: one 16-bit WAV and one spectrogram PNG per
// clip, a manifest.jsonl and a spectrogram sheet. The same seed gives the same bytes (seeded noise and
// seeded Griffin-Lim phase).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../data/files.js';
import { writeSpectrogramPng } from '../../modalities/audio/index.js';
import { loadTextToAudioRun } from '../../models/text-to-audio-recipes.js';
import type { LoadRunOptions } from '../../models/text-to-image.js';
import { writeSampleSet } from '../../train/sessions/text-to-audio.js';
import { dataProgress } from '../data-progress.js';

export async function generateAudio(runDir: string, text: string, count: number, seed: number, outDir: string | undefined, options: LoadRunOptions = {}): Promise<void> {
  const { model, notice } = await loadTextToAudioRun(runDir, options);
  if (notice) process.stderr.write(`notice: ${notice}\n`);
  const progress = dataProgress();
  try {
    const texts = new Array<string>(count).fill(text);
    // Griffin-Lim takes ~70 ms a clip: many clips are a long operation, reported as one
    const generated = model.generate(texts, seed, (done, total) => progress.onEvent({ type: 'progress', done, total, message: 'decoding clips (Griffin-Lim)' }));
    try {
      const out = outDir ?? join(runDir, 'generated', String(seed));
      const wavs = await writeSampleSet(out, join(out, 'spectrograms.png'), texts, generated, model);
      const lines: string[] = [];
      const logMel = model.codec.toLogMel(generated.spectrograms);
      try {
        for (let index = 0; index < count; index++) {
          const wav = wavs[index] as string;
          const png = wav.replace(/\.wav$/, '.png');
          const one = logMel.select(0, index);
          try {
            await writeSpectrogramPng(png, one, { input: 'log' });
          } finally {
            one.dispose();
          }
          lines.push(JSON.stringify({ file: wav.slice(out.length + 1), spectrogram: png.slice(out.length + 1), text, seed, index, sampleRate: model.audio.sampleRate, samples: model.audio.samples }));
          progress.onEvent({ type: 'progress', done: index + 1, total: count, message: 'writing spectrogram pictures' });
        }
      } finally {
        logMel.dispose();
      }
      await mkdir(out, { recursive: true });
      await writeFileAtomic(join(out, 'manifest.jsonl'), `${lines.join('\n')}\n`);
      progress.stop();
      process.stdout.write(`${count} clips for "${text}" (seed ${seed}, ${model.audio.sampleRate} Hz) in ${out}\nspectrograms: ${join(out, 'spectrograms.png')}\n`);
    } finally {
      generated.spectrograms.dispose();
    }
  } finally {
    progress.stop();
    model.dispose();
  }
}
