// `mmgen bench`: runs the benchmark suite (mmgen vs the PyTorch reference, side by side).
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function runBenchmark(args: string[]): Promise<number> {
  const script = fileURLToPath(new URL('../../../bench/run.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmark mmgen against PyTorch reference scripts (ratios, RSS)')
    .option('--quick', 'fewer repetitions')
    .option('--only <names>', 'comma-separated benchmark names')
    .action(async (options: { quick?: boolean; only?: string }) => {
      const args = [...(options.quick ? ['--quick'] : []), ...(options.only ? ['--only', options.only] : [])];
      process.exitCode = await runBenchmark(args);
    });
}
