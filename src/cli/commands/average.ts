// `mmgen average RUN --out DIR [--from STEP]`: the mean of the EMA weights over a run's kept checkpoints, as a
// run folder that `generate` and `eval` read like any other.
import type { Command } from 'commander';
import { averageCheckpoints } from '../../train/average.js';
import { integerFlag } from '../flags.js';
import { checkOutputFolder } from '../output-folder.js';

export function registerAverage(program: Command): void {
  program
    .command('average')
    .description(
      "average a run's EMA weights over its kept checkpoints (training.keepLast) into a new run folder for generate/eval",
    )
    .argument('<run>', 'run folder written by `mmgen train`')
    .requiredOption('--out <dir>', 'new folder for the averaged run (never the run itself)')
    .option('--from <step>', 'first checkpoint step to include (default: every kept checkpoint)')
    .action(async (runDir: string, flags: { out: string; from?: string }) => {
      const fromStep = flags.from === undefined ? undefined : integerFlag(flags.from, '--from', 0);
      await checkOutputFolder(flags.out);
      const result = await averageCheckpoints(runDir, flags.out, fromStep === undefined ? {} : { fromStep });
      process.stdout.write(
        `averaged ${result.averaged} EMA tensors over ${result.steps.length} checkpoints (steps ${result.steps.join(', ')}) into ${flags.out}\n`,
      );
    });
}
