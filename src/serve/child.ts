// The server's model workers, each a child process of this folder (see train/fork.ts).
import type { ChildProcess } from 'node:child_process';
import { forkModule } from '../train/fork.js';

export function forkWorker(): ChildProcess {
  return forkModule(import.meta.url, 'worker-main');
}
