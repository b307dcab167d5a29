// `mmgen worker --queue redis://HOST:PORT [--runs DIR] [--outputs DIR] [--data DIR] [--concurrency N]`: takes
// jobs that `mmgen serve --queue redis://…` put on the BullMQ queue and runs them here. Any number of workers,
// on any hosts, may share a queue; they need the server's runs, outputs and data folders (shared storage).
import type { Command } from 'commander';
import { parseRedisAddress } from '../../serve/bull-protocol.js';
import { startJobWorker } from '../../serve/bull-worker.js';
import { integerFlag } from '../flags.js';

interface WorkerFlags {
  queue: string;
  runs: string;
  outputs: string;
  data: string;
  concurrency: string;
  jobTimeout: string;
  lockDuration: string;
  stalledInterval: string;
  maxStalled: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('take jobs from a `mmgen serve --queue redis://…` server and run them here')
    .requiredOption('--queue <url>', 'the Redis the server queues jobs on: redis://HOST:PORT')
    .option('--runs <dir>', 'the runs folder the server serves (shared); training jobs write runs here', 'runs')
    .option('--outputs <dir>', "the server's uploads and job outputs folder (shared)", 'serve-outputs')
    .option('--data <dir>', "the server's datasets folder (shared), for training jobs", 'data')
    .option('--concurrency <n>', 'jobs at once (each inference slot is a process holding libtorch, ~190 MB)', '1')
    .option('--job-timeout <seconds>', 'longest an inference or eval job may run', '600')
    .option('--lock-duration <ms>', "a job's lock; a worker silent this long loses its job to another", '30000')
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker went silent', '30000')
    .option('--max-stalled <n>', 'times a job may lose its worker before it ends as failed', '1')
    .action(async (flags: WorkerFlags) => {
      const address = parseRedisAddress(flags.queue);
      let worker;
      try {
        worker = await startJobWorker({
          address,
          folders: { runsDir: flags.runs, outputsDir: flags.outputs, dataDir: flags.data, configsDir: '.' },
          concurrency: integerFlag(flags.concurrency, '--concurrency', 1, 64),
          jobTimeoutSeconds: integerFlag(flags.jobTimeout, '--job-timeout', 1, 86400),
          lockDurationMs: integerFlag(flags.lockDuration, '--lock-duration', 100, 3_600_000),
          stalledIntervalMs: integerFlag(flags.stalledInterval, '--stalled-interval', 100, 3_600_000),
          maxStalledCount: integerFlag(flags.maxStalled, '--max-stalled', 0, 100),
          log: (line) => process.stdout.write(`mmgen worker: ${new Date().toISOString()} ${line}\n`),
        });
      } catch (error) {
        throw new Error(
          `cannot reach Redis at ${address.url} (${error instanceof Error ? error.message : String(error)}): start redis-server there, or check --queue`,
          { cause: error },
        );
      }
      process.stdout.write(
        `mmgen worker: ${worker.name} takes jobs from ${address.url} (${flags.concurrency} at once)\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.stdout.write(`mmgen worker: ${signal}: finishing the running jobs, taking no new ones\n`);
          worker.close().then(resolve, resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      process.stdout.write('mmgen worker: stopped\n');
    });
}
