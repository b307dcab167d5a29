// `mmgen generate RUN --text "..." [--n 16] [--seed S] [--out DIR]`: for any run that can generate —
// PNGs, a manifest.jsonl and a grid (picture outputs), or WAVs with spectrograms (sound outputs).
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../data/files.js';
import { writeContactSheet } from '../../modalities/image/index.js';
import { loadRun, type Run } from '../../models/run/load-run.js';
import type { ImageOutput } from '../../models/run/types.js';
import { writeGeneratedAudio } from './generate-audio.js';
import { REJECTION_HELP, integerFlag, rejectionFlag } from '../flags.js';
import { checkOutputFolder } from '../output-folder.js';
import { dataProgress } from '../data-progress.js';

interface GenerateFlags {
  text: string;
  n: string;
  seed: string;
  out?: string;
  rejection?: string;
}

async function writeGeneratedImages(run: Run, text: string, count: number, seed: number, out: string): Promise<void> {
  const outputs = await run.generate(text, { n: count, seed });
  const images = outputs.filter((output): output is ImageOutput => output.kind === 'image');
  await mkdir(out, { recursive: true });
  const lines: string[] = [];
  const progress = dataProgress();
  for (const image of images) {
    const file = `${String(image.index).padStart(4, '0')}.png`;
    await image.save(join(out, file));
    lines.push(JSON.stringify({ file, text, seed, index: image.index }));
    progress.onEvent({ type: 'progress', done: image.index + 1, total: images.length, message: 'writing images' });
  }
  progress.stop();
  await writeFileAtomic(join(out, 'manifest.jsonl'), `${lines.join('\n')}\n`);
  const grid = await writeContactSheet(
    join(out, 'grid.png'),
    images.map((output) => ({ image: output.image })),
    { tileSize: [128, 128] },
  );
  process.stdout.write(`${count} images for "${text}" (seed ${seed}) in ${out}\ngrid: ${grid.path}\n`);
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate images (text→image runs) or WAVs with spectrograms (text→audio runs) from a text prompt')
    .argument('<run>', 'run folder written by `mmgen train`')
    .requiredOption('--text <prompt>', 'what to draw, e.g. "big blue heart at top left"')
    .option('--n <count>', 'how many images or clips', '16')
    .option('--seed <seed>', 'noise seed (same seed, same images)', '0')
    .option('--out <dir>', 'output folder (default RUN/generated/<seed>)')
    .option('--rejection <fraction>', REJECTION_HELP)
    .action(async (runDir: string, flags: GenerateFlags) => {
      const count = integerFlag(flags.n, '--n', 1, 1024);
      const seed = Number(flags.seed);
      if (!Number.isSafeInteger(seed) || seed < 0)
        throw new Error(`--seed must be a non-negative integer, got "${flags.seed}"`);
      if (flags.out !== undefined) await checkOutputFolder(flags.out);
      const run = await loadRun(runDir, { ...rejectionFlag(flags.rejection), need: 'generate' });
      try {
        if (run.notice) process.stderr.write(`notice: ${run.notice}\n`);
        const out = flags.out ?? join(runDir, 'generated', String(seed));
        if (run.modalities.outputs.includes('audio')) await writeGeneratedAudio(run, flags.text, count, seed, out);
        else await writeGeneratedImages(run, flags.text, count, seed, out);
      } finally {
        run.dispose();
      }
    });
}
