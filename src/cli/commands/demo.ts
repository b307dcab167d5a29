// `mmgen demo`: the README's main job. Until the text→image recipe lands, it runs the benchmark.
import type { Command } from 'commander';
import { runBenchmark } from './bench.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the main demo on built-in data')
    .action(async () => {
      process.exitCode = await runBenchmark(['--quick']);
    });
}
