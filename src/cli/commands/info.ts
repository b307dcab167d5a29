// `mmgen info [RUN]`: the runtime's versions and threads, to check an install; with a run folder, what the
// run is and what it can do (its recipe, modalities and capabilities, as loadRun finds them).
import type { Command } from 'commander';
import { loadRun, type Run } from '../../models/run/load-run.js';
import { getNumThreads, memory, runtimeInfo } from '../../tensor/index.js';

/** The lines `mmgen info RUN` prints: the recipe, what goes in and out, and the calls the run answers. */
export function runLines(run: Run): string[] {
  return [
    `${run.dir}: a ${run.recipe} run (${run.description})`,
    `reads ${run.modalities.inputs.join(', ')}; writes ${run.modalities.outputs.join(', ')}`,
    `can ${run.capabilities.join(', ')}`,
    ...(run.generation ? [run.generation] : []),
    ...(run.notice ? [`notice: ${run.notice}`] : []),
  ];
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the libtorch runtime version, threads and live tensors; with a run folder, what the run can do')
    .argument('[run]', 'a run folder written by `mmgen train`')
    .action(async (runDir: string | undefined) => {
      if (runDir !== undefined) {
        const run = await loadRun(runDir);
        try {
          process.stdout.write(`${runLines(run).join('\n')}\n`);
        } finally {
          run.dispose();
        }
        return;
      }
      const info = runtimeInfo();
      process.stdout.write(`libtorch ${info.torch}, ${getNumThreads()} intra-op thread(s) (set MMGEN_THREADS)\n`);
      process.stdout.write(`live tensors: ${memory().tensors}\n`);
    });
}
