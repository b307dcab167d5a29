// `mmgen info`: the runtime's versions and threads, to check an install.
import type { Command } from 'commander';
import { getNumThreads, memory, runtimeInfo } from '../../tensor/index.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the libtorch runtime version, threads and live tensors')
    .action(() => {
      const info = runtimeInfo();
      process.stdout.write(`libtorch ${info.torch}, ${getNumThreads()} intra-op thread(s) (set MMGEN_THREADS)\n`);
      process.stdout.write(`live tensors: ${memory().tensors}\n`);
    });
}
