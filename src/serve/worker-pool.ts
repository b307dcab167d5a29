// A small pool of long-lived model workers (child processes): each loads libtorch once and keeps its runs
// open, so model work never blocks the server's event loop. One job per worker at a time; a job that is
// cancelled or runs past its time limit ends its worker, and a fresh one takes its place.
import type { ChildProcess } from 'node:child_process';
import { forkWorker } from './child.js';
import type { FromWorker, WorkerJob, WorkerOutput } from './worker-protocol.js';

interface Pending {
  job: WorkerJob;
  resolve(output: WorkerOutput): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Worker {
  process: ChildProcess;
  pending?: Pending;
  /** Runs this worker has opened, so a job goes where its run is already loaded. */
  runs: Set<string>;
}

export class JobCancelledError extends Error {}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private closing = false;

  constructor(
    readonly size: number,
    private readonly timeoutMs: number,
  ) {
    for (let index = 0; index < size; index++) this.workers.push(this.start());
  }

  get idle(): number {
    return this.workers.filter((worker) => !worker.pending).length;
  }

  get pids(): number[] {
    return this.workers.flatMap((worker) => (worker.process.pid === undefined ? [] : [worker.process.pid]));
  }

  run(job: WorkerJob): Promise<WorkerOutput> {
    const free = this.workers.filter((worker) => !worker.pending);
    const worker = free.find((candidate) => candidate.runs.has(job.runDir)) ?? free[0];
    if (!worker) return Promise.reject(new Error('no idle worker'));
    return new Promise<WorkerOutput>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.abandon(
            job.id,
            new Error(`the job ran past its time limit of ${this.timeoutMs / 1000} s and was stopped`),
          ),
        this.timeoutMs,
      );
      worker.pending = { job, resolve, reject, timer };
      worker.runs.add(job.runDir);
      worker.process.send({ type: 'job', job });
    });
  }

  /** Stops the job with this id, if a worker runs it: that worker ends and is replaced; no other job is touched. */
  cancel(id: string): boolean {
    return this.abandon(id, new JobCancelledError('cancelled'));
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.process.exitCode !== null || worker.process.signalCode !== null) return resolve();
            worker.process.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  }

  private abandon(id: string, error: Error): boolean {
    const index = this.workers.findIndex((worker) => worker.pending?.job.id === id);
    const worker = this.workers[index];
    if (!worker?.pending) return false;
    const { pending } = worker;
    delete worker.pending;
    clearTimeout(pending.timer);
    worker.process.removeAllListeners('exit');
    worker.process.kill('SIGKILL');
    this.workers[index] = this.start();
    pending.reject(error);
    return true;
  }

  private start(): Worker {
    const worker: Worker = { process: forkWorker(), runs: new Set() };
    worker.process.on('message', (message: FromWorker) => {
      const pending = worker.pending;
      if (message.type === 'ready' || !pending || pending.job.id !== message.id) return;
      delete worker.pending;
      clearTimeout(pending.timer);
      if (message.type === 'result') pending.resolve(message.output);
      else pending.reject(new Error(message.message));
    });
    worker.process.on('exit', (code, signal) => {
      const pending = worker.pending;
      delete worker.pending;
      if (pending) {
        clearTimeout(pending.timer);
        pending.reject(new Error(`the model worker stopped (${signal ?? `exit ${code}`}) while running the job`));
      }
      if (this.closing) return;
      const index = this.workers.indexOf(worker);
      if (index >= 0) this.workers[index] = this.start();
    });
    return worker;
  }
}
