// `mmgen export RUN --out DIR [--half] [--int8]`: the inference part of a run (EMA weights, config, tokenizer,
// eval), optionally in half precision and/or with 8-bit weight matrices — what a demo ships or a server loads.
import type { Command } from 'commander';
import { exportRun } from '../../train/export.js';
import { checkOutputFolder } from '../output-folder.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'write the inference part of a run (EMA weights, config, tokenizer, eval) into a new folder, optionally smaller (--half, --int8)',
    )
    .argument('<run>', 'run folder written by `mmgen train`')
    .requiredOption('--out <dir>', 'new (or empty) folder for the exported run')
    .option('--half', 'store float32 weights as IEEE half precision (half the size; loads back as float32)')
    .option(
      '--int8',
      'store weight matrices and kernels as 8-bit integers with a float scale per row (a quarter of their size; loads back as float32); with --half the rest is half precision',
    )
    .action(async (runDir: string, flags: { out: string; half?: boolean; int8?: boolean }) => {
      await checkOutputFolder(flags.out);
      const result = await exportRun(runDir, flags.out, { half: flags.half === true, int8: flags.int8 === true });
      process.stdout.write(
        `exported ${result.tensors} tensors (${result.dropped} trained copies left to their EMA) to ${flags.out}: model.safetensors ${(result.bytes / 1e6).toFixed(1)} MB, ${result.files.join(', ')}\n`,
      );
    });
}
