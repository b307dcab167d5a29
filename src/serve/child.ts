// Starting a module of this folder as a child process with an IPC channel: the TypeScript source through
// tsx in a checkout, the compiled JavaScript in an installed package (dist/).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function forkModule(name: 'worker-main' | 'train-main'): ChildProcess {
  const typescript = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(`./${name}.${typescript ? 'ts' : 'js'}`, import.meta.url));
  return fork(path, [], {
    execArgv: typescript ? ['--import', 'tsx'] : [],
    env: { ...process.env, MMGEN_THREADS: process.env.MMGEN_THREADS ?? '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
