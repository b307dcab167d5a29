// The job queue behind the API. The in-process MemoryJobQueue is the default; a BullMQ queue can replace it
// by implementing JobQueue (submit, look up, list, cancel, events with resume, take the next job, settle it).
import { randomUUID } from 'node:crypto';
import type { Prepared } from './worker-protocol.js';
import {
  type JobEvent,
  type JobEventBody,
  type JobProgress,
  type JobRecord,
  type JobResult,
  type JobSpec,
  type JobState,
  isFinished,
} from './types.js';

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

interface Entry {
  record: JobRecord;
  prepared?: Prepared;
  events: JobEvent[];
  listeners: Set<JobListener>;
}

export class MemoryJobQueue implements JobQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly waiting: string[] = [];
  private readonly submitListeners: (() => void)[] = [];

  constructor(private readonly options: MemoryQueueOptions) {}

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
    this.entries.set(record.id, { record, prepared, events: [], listeners: new Set() });
    this.waiting.push(record.id);
    this.emit(record.id, { type: 'queued', position: this.waiting.length });
    this.forgetOld();
    for (const listener of this.submitListeners) listener();
    return record;
  }

  get(id: string): JobRecord | undefined {
    return this.entries.get(id)?.record;
  }

  list(offset: number, limit: number): { jobs: JobRecord[]; total: number } {
    const all = [...this.entries.values()].map((entry) => entry.record).reverse();
    return { jobs: all.slice(offset, offset + limit), total: all.length };
  }

  subscribe(id: string, afterId: number, listener: JobListener): () => void {
    const entry = this.entries.get(id);
    if (!entry) return () => {};
    for (const event of entry.events) if (event.id > afterId) listener(event);
    if (isFinished(entry.record.state)) return () => {};
    entry.listeners.add(listener);
    return () => entry.listeners.delete(listener);
  }

  next(accept: (spec: JobSpec) => boolean): { record: JobRecord; prepared: Prepared } | undefined {
    const position = this.waiting.findIndex((id) => accept(this.entries.get(id)!.record.spec));
    if (position < 0) return undefined;
    const [id] = this.waiting.splice(position, 1) as [string];
    const entry = this.entries.get(id)!;
    entry.record.state = 'running';
    entry.record.startedAt = new Date().toISOString();
    this.emit(id, { type: 'started' });
    const prepared = entry.prepared!;
    delete entry.prepared;
    return { record: entry.record, prepared };
  }

  emit(id: string, body: JobEventBody): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    const event: JobEvent = { ...body, id: entry.events.length + 1, job: id, time: new Date().toISOString() };
    entry.events.push(event);
    for (const listener of entry.listeners) listener(event);
  }

  setProgress(id: string, progress: JobProgress): void {
    const entry = this.entries.get(id);
    if (entry) entry.record.progress = progress;
  }

  finish(
    id: string,
    state: 'done' | 'failed' | 'cancelled',
    detail: { result?: JobResult; error?: string; checkpointed?: boolean },
  ): void {
    const entry = this.entries.get(id);
    if (!entry || isFinished(entry.record.state)) return;
    entry.record.state = state;
    entry.record.finishedAt = new Date().toISOString();
    if (detail.result) entry.record.result = detail.result;
    if (detail.error) entry.record.error = detail.error;
    if (state === 'done') this.emit(id, { type: 'done', result: detail.result ?? { files: [] } });
    else if (state === 'failed') this.emit(id, { type: 'error', message: detail.error ?? 'failed' });
    else this.emit(id, { type: 'cancelled', checkpointed: detail.checkpointed ?? false });
    entry.listeners.clear();
  }

  cancelQueued(id: string): JobState | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const before = entry.record.state;
    if (before === 'queued') {
      this.waiting.splice(this.waiting.indexOf(id), 1);
      this.finish(id, 'cancelled', {});
    }
    return before;
  }

  counts(): Record<JobState, number> {
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
    for (const entry of this.entries.values()) counts[entry.record.state]++;
    return counts;
  }

  onSubmit(listener: () => void): void {
    this.submitListeners.push(listener);
  }

  /** Keeps memory bounded: the oldest finished jobs beyond the history size are dropped. */
  private forgetOld(): void {
    let finished = 0;
    for (const entry of this.entries.values()) if (isFinished(entry.record.state)) finished++;
    for (const [id, entry] of this.entries) {
      if (finished <= this.options.history) break;
      if (isFinished(entry.record.state)) {
        this.entries.delete(id);
        this.options.onForget?.(entry.record);
        finished--;
      }
    }
  }
}
