// Starting a module as a child process with an IPC channel: the TypeScript source through tsx in a checkout,
// the compiled JavaScript in an installed package (dist/). Children train on one thread unless MMGEN_THREADS
// says otherwise: two processes on two cores beat one process on two threads.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Forks the module `name` (no extension) that sits beside the module whose import.meta.url is `besideUrl`. */
export function forkModule(besideUrl: string, name: string): ChildProcess {
  const typescript = besideUrl.endsWith('.ts');
  const path = fileURLToPath(new URL(`./${name}.${typescript ? 'ts' : 'js'}`, besideUrl));
  return fork(path, [], {
    execArgv: typescript ? ['--import', 'tsx'] : [],
    env: { ...process.env, MMGEN_THREADS: process.env.MMGEN_THREADS ?? '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** A training child process (train/child-main.ts): send it a TrainOrder, read FromTrainer messages. */
export function forkTrainer(): ChildProcess {
  return forkModule(import.meta.url, 'child-main');
}
