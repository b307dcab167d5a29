// `mmgen generate RUN --text "..." [--n 16] [--seed S] [--out DIR]`: PNGs, a manifest.jsonl and a grid.
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../../data/files.js';
import { join } from 'node:path';
import { encodePng, tensorToImages, writeContactSheet } from '../../modalities/image/index.js';
import { loadTextToImageRun } from '../../models/text-to-image-recipes.js';
import { isTextToAudioRun } from '../../models/text-to-audio-recipes.js';
import { generateAudio } from './generate-audio.js';
import { REJECTION_HELP, integerFlag, rejectionFlag } from '../flags.js';
import { checkOutputFolder } from '../output-folder.js';
import { dataProgress } from '../data-progress.js';

interface GenerateFlags { text: string; n: string; seed: string; out?: string; rejection?: string }

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
      if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got "${flags.seed}"`);
      const options = rejectionFlag(flags.rejection);
      if (flags.out !== undefined) await checkOutputFolder(flags.out);
      if (await isTextToAudioRun(runDir)) return generateAudio(runDir, flags.text, count, seed, flags.out, options);
      const { model, notice } = await loadTextToImageRun(runDir, options);
      if (notice) process.stderr.write(`notice: ${notice}\n`);
      try {
        const images = model.generate(new Array<string>(count).fill(flags.text), seed);
        const raw = tensorToImages(images, { range: 'signed' });
        images.dispose();
        const out = flags.out ?? join(runDir, 'generated', String(seed));
        await mkdir(out, { recursive: true });
        const lines: string[] = [];
        const progress = dataProgress();
        for (const [index, image] of raw.entries()) {
          const file = `${String(index).padStart(4, '0')}.png`;
          await writeFileAtomic(join(out, file), await encodePng(image));
          lines.push(JSON.stringify({ file, text: flags.text, seed, index }));
          progress.onEvent({ type: 'progress', done: index + 1, total: raw.length, message: 'writing images' });
        }
        progress.stop();
        await writeFileAtomic(join(out, 'manifest.jsonl'), `${lines.join('\n')}\n`);
        const grid = await writeContactSheet(join(out, 'grid.png'), raw.map((image) => ({ image })), { tileSize: [128, 128] });
        process.stdout.write(`${count} images for "${flags.text}" (seed ${seed}) in ${out}\ngrid: ${grid.path}\n`);
      } finally {
        model.dispose();
      }
    });
}
