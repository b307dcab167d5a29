// `mmgen transcribe RUN FILE.wav... [--beam 5] [--json]`: one transcript per WAV. Stereo is folded to
// mono, other sample rates are resampled, silence is trimmed; a file that is corrupt, empty, silent or
// too long is reported by name and the others are still transcribed.
import type { Command } from 'commander';
import { printPerFile } from '../per-file-output.js';
import { type SearchFlags, consensusOptions, searchOptions } from '../search-flags.js';
import { loadRun } from '../../models/run/load-run.js';

interface TranscribeFlags extends SearchFlags {
  json?: boolean;
}

export interface TranscriptLine {
  file: string;
  text?: string;
  logProb?: number;
  error?: string;
}

export async function transcribeFiles(
  runDir: string,
  files: string[],
  flags: TranscribeFlags,
): Promise<TranscriptLine[]> {
  if (files.length === 0) throw new Error('give at least one WAV file: mmgen transcribe RUN FILE.wav...');
  const search = searchOptions(flags);
  const run = await loadRun(runDir, { need: 'transcribe' });
  try {
    const texts = await run.transcribe(files, search);
    return texts.map((line): TranscriptLine =>
      line.error !== undefined
        ? { file: line.source, error: line.error }
        : { file: line.source, text: line.text, logProb: Number(line.logProb.toFixed(4)) },
    );
  } finally {
    run.dispose();
  }
}

export function registerTranscribe(program: Command): void {
  const command = program
    .command('transcribe')
    .description('transcribe WAV files with a trained transcriber run')
    .argument('<run>', 'run folder written by `mmgen train` with a transcriber config')
    .argument('<files...>', 'WAV files (any sample rate, mono or stereo)')
    .option('--beam <width>', 'beam width (1 = greedy; default from the run config)')
    .option('--length-penalty <alpha>', 'GNMT length penalty α of beam search (default from the run config)')
    .option('--json', 'one JSON object per line: file, text, logProb (or error)');
  consensusOptions(command).action(async (runDir: string, files: string[], flags: TranscribeFlags) => {
    const lines = await transcribeFiles(runDir, files, flags);
    printPerFile(lines, { json: flags.json, text: (line) => line.text ?? '', verb: 'transcribed' });
  });
}
