// Starting a TypeScript module of this folder as a child process with an IPC channel (through tsx's loader).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function forkModule(name: 'worker-main' | 'train-main'): ChildProcess {
  const path = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  return fork(path, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, MMGEN_THREADS: process.env.MMGEN_THREADS ?? '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
