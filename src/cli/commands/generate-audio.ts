// `mmgen generate RUN --text "seven"` for a run that makes sound: one 16-bit WAV and one spectrogram PNG per
// clip, a manifest.jsonl and a spectrogram sheet. The same seed gives the same bytes (seeded noise and
// seeded Griffin-Lim phase).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../data/files.js';
import { encodePng, writeContactSheet } from '../../modalities/image/index.js';
import type { LoadRunOptions } from '../../models/recipe.js';
import { loadRun, type Run } from '../../models/run/load-run.js';
import type { AudioOutput } from '../../models/run/types.js';
import { dataProgress } from '../data-progress.js';

/** A file-name-safe form of a prompt. */
const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40) || 'prompt';

export async function writeGeneratedAudio(
  run: Run,
  text: string,
  count: number,
  seed: number,
  out: string,
): Promise<void> {
  const progress = dataProgress();
  try {
    // Griffin-Lim takes ~70 ms a clip: many clips are a long operation, reported as one
    const outputs = await run.generate(text, {
      n: count,
      seed,
      onProgress: (done, total) =>
        progress.onEvent({ type: 'progress', done, total, message: 'decoding clips (Griffin-Lim)' }),
    });
    const clips = outputs.filter((output): output is AudioOutput => output.kind === 'audio');
    await mkdir(out, { recursive: true });
    const lines: string[] = [];
    for (const clip of clips) {
      const name = `${String(clip.index).padStart(2, '0')}-${slug(text)}`;
      await clip.save(join(out, `${name}.wav`));
      if (clip.spectrogram) await writeFileAtomic(join(out, `${name}.png`), await encodePng(clip.spectrogram));
      lines.push(
        JSON.stringify({
          file: `${name}.wav`,
          spectrogram: `${name}.png`,
          text,
          seed,
          index: clip.index,
          sampleRate: clip.sampleRate,
          samples: clip.samples.length,
        }),
      );
      progress.onEvent({
        type: 'progress',
        done: clip.index + 1,
        total: clips.length,
        message: 'writing clips and spectrogram pictures',
      });
    }
    const sheet = join(out, 'spectrograms.png');
    await writeContactSheet(
      sheet,
      clips.flatMap((clip) => (clip.spectrogram ? [{ image: clip.spectrogram, caption: clip.text ?? '' }] : [])),
      { columns: 5, tileSize: [128, 128] },
    );
    await writeFileAtomic(join(out, 'manifest.jsonl'), `${lines.join('\n')}\n`);
    progress.stop();
    process.stdout.write(
      `${count} clips for "${text}" (seed ${seed}, ${clips[0]?.sampleRate ?? 0} Hz) in ${out}\nspectrograms: ${sheet}\n`,
    );
  } finally {
    progress.stop();
  }
}

/** Loads a run and writes `count` clips for `text` (the default folder: RUN/generated/SEED). */
export async function generateAudio(
  runDir: string,
  text: string,
  count: number,
  seed: number,
  outDir: string | undefined,
  options: LoadRunOptions = {},
): Promise<void> {
  const run = await loadRun(runDir, { ...options, need: 'generate' });
  try {
    if (run.notice) process.stderr.write(`notice: ${run.notice}\n`);
    await writeGeneratedAudio(run, text, count, seed, outDir ?? join(runDir, 'generated', String(seed)));
  } finally {
    run.dispose();
  }
}
