// Takes jobs from the queue and runs them: inference in the worker pool, training in a child process each
// (at most `trainSlots` at once), eval through the CLI in a child process. Cancel stops one job and no other.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobQueue } from './queue.js';
import { startTraining, type TrainingHandle } from './trainer.js';
import type { JobRecord, JobResult, JobSpec, ResultFile } from './types.js';
import { JobCancelledError, WorkerPool } from './worker-pool.js';
import type { Prepared, TrainOrder, WorkerJob, WorkerOutput } from './worker-protocol.js';

export interface ExecutorOptions {
  queue: JobQueue;
  pool: WorkerPool;
  outputsDir: string;
  runsDir: string;
  trainSlots: number;
  timeoutMs: number;
}

/** Most caption or transcribe jobs answered by one forward pass. */
const READ_BATCH = 16;

const CLI = fileURLToPath(new URL('../../bin/mmgen.js', import.meta.url));

export class Executor {
  private readonly trainings = new Map<string, TrainingHandle>();
  private readonly evals = new Map<string, () => void>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: ExecutorOptions) {
    options.queue.onSubmit(() => this.pump());
  }

  get active(): number {
    return this.running.size;
  }

  /** Starts queued jobs while there is room for them. */
  pump(): void {
    const { queue, pool } = this.options;
    for (;;) {
      const inferenceRoom = pool.idle;
      const trainRoom = this.options.trainSlots - this.trainings.size - this.evals.size;
      const taken = queue.next((spec) =>
        spec.task === 'train' || spec.task === 'eval' ? trainRoom > 0 : inferenceRoom > 0,
      );
      if (!taken) return;
      const { spec } = taken.record;
      // captions and transcripts waiting for the same run go to the worker together: one forward pass
      const companions: { record: JobRecord; prepared: Prepared }[] = [];
      if (spec.task === 'caption' || spec.task === 'transcribe') {
        const same = (other: JobSpec): boolean =>
          other.task === spec.task && other.run === spec.run && other.params.beam === spec.params.beam;
        for (
          let more = queue.next(same);
          more;
          more = companions.length + 1 < READ_BATCH ? queue.next(same) : undefined
        )
          companions.push(more);
      }
      const task = (
        companions.length > 0 ? this.runReaders([taken, ...companions]) : this.run(taken.record, taken.prepared)
      ).finally(() => {
        this.running.delete(task);
        this.pump();
      });
      this.running.add(task);
    }
  }

  /** Cancels a running job; returns whether one was running here. */
  cancel(id: string): boolean {
    // a member of a batch of reads ends alone; the others' answers still come
    if (this.batched.has(id)) {
      this.options.queue.finish(id, 'cancelled', { checkpointed: false });
      return true;
    }
    const training = this.trainings.get(id);
    if (training) {
      training.stop();
      return true;
    }
    const evaluation = this.evals.get(id);
    if (evaluation) {
      evaluation();
      return true;
    }
    return this.options.pool.cancel(id);
  }

  /** Resolves when nothing runs any more. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private readonly batched = new Set<string>();

  /** Several caption (or transcribe) jobs of one run as one worker job; each ends with its own texts or error. */
  private async runReaders(jobs: { record: JobRecord; prepared: Prepared }[]): Promise<void> {
    const { queue } = this.options;
    const inputs = jobs.map(({ prepared }) =>
      prepared.kind === 'inference' ? [...(prepared.job.images ?? []), ...(prepared.job.clips ?? [])] : [],
    );
    const first = jobs[0]!;
    if (first.prepared.kind !== 'inference') return;
    const all = inputs.flat();
    const job = {
      ...first.prepared.job,
      images: first.prepared.job.task === 'caption' ? all : undefined,
      clips: first.prepared.job.task === 'transcribe' ? all : undefined,
    };
    for (const { record } of jobs) this.batched.add(record.id);
    try {
      const output = await this.options.pool.run({
        ...job,
        id: first.record.id,
        outDir: join(this.options.outputsDir, 'jobs', first.record.id),
      });
      let offset = 0;
      jobs.forEach(({ record }, index) => {
        const count = inputs[index]!.length;
        const errors = (output.errors ?? []).slice(offset, offset + count).filter((error) => error !== '');
        const texts = (output.texts ?? []).slice(offset, offset + count);
        offset += count;
        if (errors.length > 0) queue.finish(record.id, 'failed', { error: errors[0] });
        else queue.finish(record.id, 'done', { result: { files: [], texts } });
      });
    } catch (error) {
      for (const { record } of jobs) {
        if (error instanceof JobCancelledError) queue.finish(record.id, 'cancelled', { checkpointed: false });
        else queue.finish(record.id, 'failed', { error: error instanceof Error ? error.message : String(error) });
      }
    } finally {
      for (const { record } of jobs) this.batched.delete(record.id);
    }
  }

  private async run(record: JobRecord, prepared: Prepared): Promise<void> {
    const { queue } = this.options;
    try {
      if (prepared.kind === 'inference') await this.runInference(record, prepared.job);
      else if (prepared.kind === 'train') await this.runTraining(record, prepared.order, prepared.runId);
      else await this.runEval(record, prepared.runDir, prepared.runId);
    } catch (error) {
      if (error instanceof JobCancelledError) queue.finish(record.id, 'cancelled', { checkpointed: false });
      else queue.finish(record.id, 'failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async runInference(record: JobRecord, job: Omit<WorkerJob, 'id' | 'outDir'>): Promise<void> {
    const outDir = join(this.options.outputsDir, 'jobs', record.id);
    const output: WorkerOutput = await this.options.pool.run({ ...job, id: record.id, outDir });
    const failed = output.errors?.find((error) => error !== '');
    if (failed) throw new Error(failed);
    const files: ResultFile[] = output.files.map((file) => ({
      kind: file.kind,
      index: file.index,
      url: `/v1/files/outputs/jobs/${record.id}/${file.file}`,
    }));
    const result: JobResult = output.texts ? { files, texts: output.texts } : { files };
    this.options.queue.finish(record.id, 'done', { result });
  }

  private async runTraining(record: JobRecord, order: TrainOrder, runId: string): Promise<void> {
    const { queue } = this.options;
    const handle = startTraining(order, this.options.runsDir, runId, {
      emit: (body) => queue.emit(record.id, body),
      progress: (progress) => queue.setProgress(record.id, progress),
    });
    this.trainings.set(record.id, handle);
    try {
      const { interrupted, result } = await handle.finished;
      if (interrupted) queue.finish(record.id, 'cancelled', { checkpointed: true, result });
      else queue.finish(record.id, 'done', { result });
    } finally {
      this.trainings.delete(record.id);
    }
  }

  private async runEval(record: JobRecord, runDir: string, runId: string): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'eval', runDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MMGEN_THREADS: process.env.MMGEN_THREADS ?? '1' },
    });
    let cancelled = false;
    this.evals.set(record.id, () => {
      cancelled = true;
      child.kill('SIGINT');
    });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-2000);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n'))
        if (line.trim()) this.options.queue.emit(record.id, { type: 'notice', message: line.trim() });
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, this.options.timeoutMs);
    try {
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      if (cancelled) throw new JobCancelledError('cancelled');
      if (timedOut)
        throw new Error(`the job ran past its time limit of ${this.options.timeoutMs / 1000} s and was stopped`);
      if (code !== 0) throw new Error(`eval failed: ${errors.trim().split('\n').at(-1) ?? `exit ${code}`}`);
      const report = JSON.parse(await readFile(join(runDir, 'eval.json'), 'utf8')) as { metrics?: unknown };
      const metrics: Record<string, number> = {};
      for (const [key, value] of Object.entries(report.metrics ?? {}))
        if (typeof value === 'number') metrics[key] = value;
      this.options.queue.finish(record.id, 'done', {
        result: { files: [{ kind: 'json', url: `/v1/files/runs/${runId}/eval.json` }], run: runId, metrics },
      });
    } finally {
      clearTimeout(timer);
      this.evals.delete(record.id);
    }
  }
}
