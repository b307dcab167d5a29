// `mmgen transcribe RUN FILE.wav... [--beam 5] [--json]`: one transcript per WAV. Stereo is folded to
// mono, other sample rates are resampled, silence is trimmed; a file that is corrupt, empty, silent or
// too long is reported by name and the others are still transcribed.
import type { Command } from 'commander';
import { printPerFile } from '../per-file-output.js';
import { tensor } from '../../tensor/index.js';
import { type SearchFlags, consensusOptions, searchOptions } from '../search-flags.js';
import { loadTranscriberRun, readClip } from '../../models/transcriber-run.js';

interface TranscribeFlags extends SearchFlags { json?: boolean }

export interface TranscriptLine { file: string; text?: string; logProb?: number; error?: string }

export async function transcribeFiles(runDir: string, files: string[], flags: TranscribeFlags): Promise<TranscriptLine[]> {
  if (files.length === 0) throw new Error('give at least one WAV file: mmgen transcribe RUN FILE.wav...');
  const search = searchOptions(flags);
  const { model } = await loadTranscriberRun(runDir);
  try {
    const clips = await Promise.all(files.map(async (file) => {
      try {
        return await readClip(file, model.audio);
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    }));
    const good = clips.filter((clip): clip is Float32Array => clip instanceof Float32Array);
    const lines: TranscriptLine[] = [];
    let texts: ReturnType<typeof model.transcribe> = [];
    if (good.length > 0) {
      const flat = new Float32Array(good.length * model.audio.samples);
      good.forEach((clip, index) => flat.set(clip, index * model.audio.samples));
      const waveforms = tensor(flat, { shape: [good.length, model.audio.samples] });
      try {
        texts = model.transcribe(waveforms, search);
      } finally {
        waveforms.dispose();
      }
    }
    let next = 0;
    files.forEach((file, index) => {
      const clip = clips[index];
      if (clip instanceof Error) lines.push({ file, error: clip.message });
      else {
        const text = texts[next++];
        if (text) lines.push({ file, text: text.text, logProb: Number(text.logProb.toFixed(4)) });
      }
    });
    return lines;
  } finally {
    model.dispose();
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
  consensusOptions(command)
    .action(async (runDir: string, files: string[], flags: TranscribeFlags) => {
      const lines = await transcribeFiles(runDir, files, flags);
      printPerFile(lines, { json: flags.json, text: (line) => line.text ?? '', verb: 'transcribed' });
    });
}
