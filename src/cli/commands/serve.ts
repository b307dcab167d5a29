// `mmgen serve [--runs DIR] [--host 127.0.0.1] [--port 8080] [--token T] [--queue-size 64]`: the HTTP API,
// its job queue and model workers, and the studio at /. SIGTERM or Ctrl-C drains, then exits.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseRedisAddress } from '../../serve/bull-protocol.js';
import { BullJobQueue } from '../../serve/bull-queue.js';
import { startServer } from '../../serve/server.js';
import { integerFlag } from '../flags.js';

interface ServeFlags {
  runs: string;
  outputs: string;
  data: string;
  configs: string;
  host: string;
  port: string;
  token?: string;
  queueSize: string;
  workers: string;
  trainSlots: string;
  jobTimeout: string;
  rateLimit: string;
  cors?: string;
  queue?: string;
  attempts: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (jobs, SSE progress, OpenAPI at /docs) and the studio at /')
    .option('--runs <dir>', 'folder of runs to serve; training jobs write new runs here', 'runs')
    .option('--outputs <dir>', 'folder for uploads and job outputs', 'serve-outputs')
    .option('--data <dir>', 'folder of datasets training jobs may use', 'data')
    .option('--configs <dir>', 'folder of training configs', 'configs')
    .option('--host <host>', 'address to bind (anything but loopback needs --token)', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', '8080')
    .option(
      '--token <token>',
      'require "Authorization: Bearer TOKEN" on the API, and rate-limit it (or set MMGEN_TOKEN)',
    )
    .option('--queue-size <n>', 'jobs that may wait; more are refused with 429', '64')
    .option('--workers <n>', 'model worker processes (each loads libtorch, ~190 MB)', '1')
    .option('--train-slots <n>', 'training or eval jobs at once', '1')
    .option('--job-timeout <seconds>', 'longest an inference or eval job may run', '600')
    .option('--rate-limit <n>', 'requests per minute per client when a token is set', '600')
    .option('--cors <origin>', 'allow this origin by CORS (off by default)')
    .option(
      '--queue <url>',
      'queue jobs on BullMQ in Redis (redis://HOST:PORT) for `mmgen worker` processes, instead of running them here',
    )
    .option('--attempts <n>', 'with --queue: tries per job before it ends as failed', '3')
    .action(async (flags: ServeFlags) => {
      const queueSize = integerFlag(flags.queueSize, '--queue-size', 1, 100000);
      const queue =
        flags.queue === undefined
          ? undefined
          : await BullJobQueue.connect({
              address: parseRedisAddress(flags.queue),
              folders: {
                runsDir: resolve(flags.runs),
                outputsDir: resolve(flags.outputs),
                dataDir: resolve(flags.data),
                configsDir: resolve(flags.configs),
              },
              capacity: queueSize,
              history: 1000,
              retryAfterSeconds: 5,
              attempts: integerFlag(flags.attempts, '--attempts', 1, 100),
              backoffMs: 1000,
            });
      const server = await startServer({
        queue,
        runsDir: flags.runs,
        outputsDir: flags.outputs,
        dataDir: flags.data,
        configsDir: flags.configs,
        host: flags.host,
        port: integerFlag(flags.port, '--port', 0, 65535),
        token: flags.token ?? process.env.MMGEN_TOKEN,
        queueSize,
        workers: integerFlag(flags.workers, '--workers', 1, 64),
        trainSlots: integerFlag(flags.trainSlots, '--train-slots', 1, 16),
        jobTimeoutSeconds: integerFlag(flags.jobTimeout, '--job-timeout', 1, 86400),
        rateLimit: integerFlag(flags.rateLimit, '--rate-limit', 1, 1000000),
        cors: flags.cors,
      });
      process.stdout.write(
        `mmgen serve: ${server.url} (studio at /, API docs at /docs; runs from ${server.context.folders.runsDir}${flags.queue ? `; jobs go to ${flags.queue} for mmgen worker processes` : ''})\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.stdout.write(
            `mmgen serve: ${signal}: draining (no new jobs; running ones finish, training checkpoints)\n`,
          );
          server.close().then(resolve, resolve);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      process.stdout.write('mmgen serve: stopped\n');
    });
}
