// The job queue behind the API. The in-process MemoryJobQueue is the default; a BullMQ queue can replace it
// by implementing JobQueue (submit, look up, list, cancel, events with resume, take the next job, settle it).
import { randomUUID } from 'node:crypto';
import { JobStore } from './job-store.js';
import type { Prepared } from './worker-protocol.js';
import type { JobEvent, JobEventBody, JobProgress, JobRecord, JobResult, JobSpec, JobState } from './types.js';

export class QueueFullError extends Error {
  constructor(
    readonly capacity: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`the job queue is full (${capacity} jobs waiting); retry after ${retryAfterSeconds} s`);
  }
}

export type JobListener = (event: JobEvent) => void;

export interface JobQueue {
  /** Adds a job with its prepared form; throws QueueFullError when `capacity` jobs are already waiting. */
  submit(spec: JobSpec, prepared: Prepared): JobRecord | Promise<JobRecord>;
  get(id: string): JobRecord | undefined;
  /** Newest first. */
  list(offset: number, limit: number): { jobs: JobRecord[]; total: number };
  /** Events of a job after `afterId`, then live ones until it finishes; returns an unsubscribe. */
  subscribe(id: string, afterId: number, listener: JobListener): () => void;
  /** Takes the oldest queued job that `accept` takes and marks it running. */
  next(accept: (spec: JobSpec) => boolean): { record: JobRecord; prepared: Prepared } | undefined;
  /** Called by the executor while a job runs. */
  emit(id: string, body: JobEventBody): void;
  setProgress(id: string, progress: JobProgress): void;
  finish(
    id: string,
    state: Extract<JobState, 'done' | 'failed' | 'cancelled'>,
    detail: { result?: JobResult; error?: string; checkpointed?: boolean },
  ): void;
  /** Removes a queued job (state cancelled); a running one is left to the executor. Returns the job's state before. */
  cancelQueued(id: string): JobState | undefined;
  counts(): Record<JobState, number>;
  readonly depth: number;
  /** True when a submit would be refused; lets the API answer 429 before reading an upload. */
  readonly full: boolean;
  readonly retryAfterSeconds: number;
  /** Wakes the executor when a job is added. */
  onSubmit(listener: () => void): void;
  /** True when jobs run in other processes (`mmgen worker`), so this server starts no model workers. */
  readonly remote?: boolean;
  /** Why no job can be queued now (e.g. Redis unreachable), for a 503; undefined when all is well. */
  readonly unavailable?: string | undefined;
  close?(): Promise<void>;
}

export interface MemoryQueueOptions {
  capacity: number;
  /** Finished jobs kept for the history; older ones are forgotten. */
  history: number;
  /** Seconds a client should wait when the queue is full. */
  retryAfterSeconds: number;
  /** Called for a finished job dropped from the history (e.g. to delete its output files). */
  onForget?: (record: JobRecord) => void;
}

/** The in-process queue: records and events in a JobStore, the waiting order and prepared inputs beside it. */
export class MemoryJobQueue implements JobQueue {
  private readonly store: JobStore;
  private readonly waiting: string[] = [];
  private readonly prepared = new Map<string, Prepared>();
  private readonly submitListeners: (() => void)[] = [];

  constructor(private readonly options: MemoryQueueOptions) {
    this.store = new JobStore(options.history, options.onForget);
  }

  get depth(): number {
    return this.waiting.length;
  }

  get full(): boolean {
    return this.waiting.length >= this.options.capacity;
  }

  get retryAfterSeconds(): number {
    return this.options.retryAfterSeconds;
  }

  /** `id` names the job when it comes from elsewhere (a `mmgen worker` running a BullMQ job). */
  submit(spec: JobSpec, prepared: Prepared, id: string = randomUUID()): JobRecord {
    if (this.waiting.length >= this.options.capacity)
      throw new QueueFullError(this.options.capacity, this.options.retryAfterSeconds);
    const record: JobRecord = { id, spec, state: 'queued', createdAt: new Date().toISOString() };
    this.store.add(record);
    this.prepared.set(id, prepared);
    this.waiting.push(id);
    this.store.emit(id, { type: 'queued', position: this.waiting.length });
    for (const listener of this.submitListeners) listener();
    return record;
  }

  get(id: string): JobRecord | undefined {
    return this.store.get(id);
  }

  list(offset: number, limit: number): { jobs: JobRecord[]; total: number } {
    return this.store.list(offset, limit);
  }

  subscribe(id: string, afterId: number, listener: JobListener): () => void {
    return this.store.subscribe(id, afterId, listener);
  }

  next(accept: (spec: JobSpec) => boolean): { record: JobRecord; prepared: Prepared } | undefined {
    const position = this.waiting.findIndex((id) => accept(this.store.get(id)!.spec));
    if (position < 0) return undefined;
    const [id] = this.waiting.splice(position, 1) as [string];
    const record = this.store.start(id)!;
    const prepared = this.prepared.get(id)!;
    this.prepared.delete(id);
    return { record, prepared };
  }

  emit(id: string, body: JobEventBody): void {
    this.store.emit(id, body);
  }

  setProgress(id: string, progress: JobProgress): void {
    this.store.setProgress(id, progress);
  }

  finish(
    id: string,
    state: 'done' | 'failed' | 'cancelled',
    detail: { result?: JobResult; error?: string; checkpointed?: boolean },
  ): void {
    this.store.finish(id, state, detail);
  }

  cancelQueued(id: string): JobState | undefined {
    const before = this.store.get(id)?.state;
    if (before === 'queued') {
      this.waiting.splice(this.waiting.indexOf(id), 1);
      this.prepared.delete(id);
      this.store.finish(id, 'cancelled', {});
    }
    return before;
  }

  counts(): Record<JobState, number> {
    return this.store.counts();
  }

  onSubmit(listener: () => void): void {
    this.submitListeners.push(listener);
  }
}
