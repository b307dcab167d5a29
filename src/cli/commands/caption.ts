// `mmgen caption RUN IMAGE... [--beam 5] [--json]`: one caption per image. Images of any size and format
// are resized (centre crop) to what the run reads; a file that cannot be read is reported by name and
// the others are still captioned.
import type { Command } from 'commander';
import { printPerFile } from '../per-file-output.js';
import { loadRun } from '../../models/run/load-run.js';
import { collect, integerFlag } from '../flags.js';
import { type SearchFlags, consensusOptions, searchOptions } from '../search-flags.js';

interface CaptionFlags extends SearchFlags {
  with?: string[];
  maxLength?: string;
  json?: boolean;
  batch: string;
  sample?: string;
  temperature?: string;
  topK?: string;
  topP?: string;
}

export interface CaptionLine {
  file: string;
  caption?: string;
  logProb?: number;
  score?: number;
  error?: string;
}

/** Captions files with a captioner run (and the runs --with names); failures are returned per file. */
export async function captionFiles(runDir: string, files: string[], flags: CaptionFlags): Promise<CaptionLine[]> {
  if (files.length === 0) throw new Error('give at least one image file: mmgen caption RUN IMAGE...');
  const search = searchOptions(flags);
  const maxLength = flags.maxLength === undefined ? undefined : integerFlag(flags.maxLength, '--max-length');
  const batchSize = integerFlag(flags.batch, '--batch');
  const sampleSeed = flags.sample === undefined ? undefined : Number(flags.sample);
  if (sampleSeed !== undefined && (!Number.isSafeInteger(sampleSeed) || sampleSeed < 0))
    throw new Error(`--sample must be a non-negative integer seed, got "${flags.sample}"`);
  const sample =
    sampleSeed === undefined
      ? undefined
      : {
          seed: sampleSeed,
          ...(flags.temperature !== undefined ? { temperature: Number(flags.temperature) } : {}),
          ...(flags.topK !== undefined ? { topK: Number(flags.topK) } : {}),
          ...(flags.topP !== undefined ? { topP: Number(flags.topP) } : {}),
        };
  const run = await loadRun(runDir, { with: flags.with ?? [], need: 'caption' });
  try {
    const captions = await run.caption(files, {
      batch: batchSize,
      ...search,
      ...(maxLength !== undefined ? { maxLength } : {}),
      ...(sample ? { sample } : {}),
    });
    return captions.map((line): CaptionLine =>
      line.error !== undefined
        ? { file: line.source, error: line.error }
        : {
            file: line.source,
            caption: line.text,
            logProb: Number(line.logProb.toFixed(4)),
            score: Number(line.score.toFixed(4)),
          },
    );
  } finally {
    run.dispose();
  }
}

export function registerCaption(program: Command): void {
  const command = program
    .command('caption')
    .description('caption images with a trained captioner run')
    .argument('<run>', 'run folder written by `mmgen train` with a captioner config')
    .argument('<images...>', 'image files (PNG, JPEG, WebP, GIF, TIFF; any size)')
    .option(
      '--with <run>',
      'caption with this captioner run too, as an ensemble (repeat for more; same dataset)',
      collect,
      [],
    )
    .option('--beam <width>', 'beam width (1 = greedy; default from the run config)')
    .option('--length-penalty <alpha>', 'GNMT length penalty α of beam search (default from the run config)')
    .option('--max-length <tokens>', 'longest caption in tokens')
    .option('--batch <count>', 'images per forward pass', '64')
    .option('--sample <seed>', 'sample captions with this seed instead of searching (same seed, same captions)')
    .option('--temperature <t>', 'with --sample: softmax temperature (default 1)')
    .option('--top-k <k>', 'with --sample: keep the k likeliest words (0 = all)')
    .option('--top-p <p>', 'with --sample: keep the smallest set of words with probability ≥ p')
    .option('--json', 'one JSON object per line: file, caption, logProb, score (or error)');
  consensusOptions(command).action(async (runDir: string, files: string[], flags: CaptionFlags) => {
    const lines = await captionFiles(runDir, files, flags);
    printPerFile(lines, { json: flags.json, text: (line) => line.caption ?? '', verb: 'captioned' });
  });
}
