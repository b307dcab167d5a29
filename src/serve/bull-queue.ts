// `mmgen serve --queue redis://…`: every job goes onto a BullMQ queue in Redis and `mmgen worker` processes
// take them. The server keeps its own view of the jobs it queued (JobStore), fed by BullMQ's queue events:
// `active`, job progress (the worker's job events), `completed`, `failed` (after the last attempt), `stalled`.
// Cancel is a pub/sub message (plus a key, for a job no worker holds yet). While Redis is unreachable the
// queue is `unavailable` and the API answers 503.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import {
  CANCEL_CHANNEL,
  type QueuedJob,
  type RedisAddress,
  QUEUE_NAME,
  cancelKey,
  connectionOptions,
  isWorkerMessage,
  isWorkerReturn,
  probeRedis,
} from './bull-protocol.js';
import { HttpError } from './errors.js';
import { JobStore } from './job-store.js';
import type { Folders } from './prepare.js';
import { type JobListener, type JobQueue, QueueFullError } from './queue.js';
import {
  type JobEventBody,
  type JobProgress,
  type JobRecord,
  type JobSpec,
  type JobState,
  isFinished,
} from './types.js';
import type { Prepared } from './worker-protocol.js';

export interface BullQueueOptions {
  address: RedisAddress;
  folders: Folders;
  capacity: number;
  history: number;
  retryAfterSeconds: number;
  /** Tries per job before it ends as failed (a worker that dies does not count; a stalled check does). */
  attempts: number;
  /** Milliseconds between tries. */
  backoffMs: number;
}

/** How long a submit waits for Redis before answering 503. */
const ADD_TIMEOUT_MS = 3000;

export class BullJobQueue implements JobQueue {
  readonly remote = true;
  private readonly store: JobStore;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  /** Our own connection: it tells whether Redis is there, and publishes cancels. */
  private readonly redis: Redis;
  private lastError = '';
  private readonly submitListeners: (() => void)[] = [];

  private constructor(private readonly options: BullQueueOptions) {
    const connection = connectionOptions(options.address);
    const forget = (record: JobRecord): void =>
      void rm(join(options.folders.outputsDir, 'jobs', record.id), { recursive: true, force: true });
    this.store = new JobStore(options.history, forget);
    this.redis = new Redis({ ...connection, lazyConnect: true });
    this.redis.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    let connected = false;
    this.redis.on('close', () => {
      this.lastError ||= 'connection closed';
    });
    this.redis.on('ready', () => {
      this.lastError = '';
      if (connected) void this.reconcile();
      connected = true;
    });
    this.queue = new Queue(QUEUE_NAME, { connection });
    this.queue.on('error', () => {});
    this.events = new QueueEvents(QUEUE_NAME, { connection });
    this.events.on('error', () => {});
    this.listen();
  }

  /** Connects (failing with a clear error when Redis is not there) and starts listening to the workers. */
  static async connect(options: BullQueueOptions): Promise<BullJobQueue> {
    try {
      await probeRedis(options.address);
    } catch (error) {
      throw new Error(
        `cannot reach Redis at ${options.address.url} for the job queue (${error instanceof Error ? error.message : String(error)}): start redis-server there, or leave out --queue to run jobs in this process`,
        { cause: error },
      );
    }
    const queue = new BullJobQueue(options);
    try {
      await queue.redis.connect();
      await queue.events.waitUntilReady();
      await queue.queue.waitUntilReady();
    } catch (error) {
      await queue.close();
      throw new Error(
        `cannot reach Redis at ${options.address.url} for the job queue (${error instanceof Error ? error.message : String(error)}): start redis-server there, or leave out --queue to run jobs in this process`,
        { cause: error },
      );
    }
    return queue;
  }

  get unavailable(): string | undefined {
    if (this.redis.status === 'ready') return undefined;
    const reason = this.lastError ? ` (${this.lastError})` : '';
    return `the job queue's Redis at ${this.options.address.url} is unreachable${reason}; no job can be queued until it is back — retry shortly`;
  }

  get depth(): number {
    return this.store.counts().queued;
  }

  get full(): boolean {
    return this.depth >= this.options.capacity;
  }

  get retryAfterSeconds(): number {
    return this.options.retryAfterSeconds;
  }

  async submit(spec: JobSpec, prepared: Prepared): Promise<JobRecord> {
    if (this.full) throw new QueueFullError(this.options.capacity, this.options.retryAfterSeconds);
    const unavailable = this.unavailable;
    if (unavailable !== undefined) throw new HttpError(503, 'queue_unavailable', unavailable, { 'retry-after': '5' });
    const id = randomUUID();
    // known before Redis has it: a worker's first events may come back before `add` answers
    const record: JobRecord = { id, spec, state: 'queued', createdAt: new Date().toISOString() };
    this.store.add(record);
    this.store.emit(id, { type: 'queued', position: this.depth });
    const data: QueuedJob = { spec, prepared, folders: this.options.folders };
    const adding = this.queue.add(spec.task, data, {
      jobId: id,
      attempts: this.options.attempts,
      backoff: { type: 'fixed', delay: this.options.backoffMs },
      removeOnComplete: { count: this.options.history },
      removeOnFail: { count: this.options.history },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ADD_TIMEOUT_MS);
    });
    const outcome = await Promise.race([adding, timeout])
      .catch((error: unknown) => error)
      .finally(() => clearTimeout(timer));
    if (outcome === 'timeout' || outcome instanceof Error) this.store.remove(id);
    if (outcome instanceof Error)
      throw new HttpError(
        503,
        'queue_unavailable',
        `the job queue's Redis at ${this.options.address.url} refused the job (${outcome.message}); retry shortly`,
        { 'retry-after': '5' },
      );
    if (outcome === 'timeout') {
      // a job added once Redis is back would run with nobody waiting for it
      void adding.then(
        (job) => job.remove(),
        () => {},
      );
      throw new HttpError(
        503,
        'queue_unavailable',
        this.unavailable ??
          `the job queue's Redis at ${this.options.address.url} did not answer within ${ADD_TIMEOUT_MS / 1000} s; retry shortly`,
        { 'retry-after': '5' },
      );
    }
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

  /** Workers take the jobs; this server runs none. */
  next(): undefined {
    return undefined;
  }

  emit(id: string, body: JobEventBody): void {
    this.store.emit(id, body);
  }

  setProgress(id: string, progress: JobProgress): void {
    const record = this.store.get(id);
    if (record) record.progress = progress;
  }

  finish(
    id: string,
    state: 'done' | 'failed' | 'cancelled',
    detail: { result?: JobRecord['result']; error?: string; checkpointed?: boolean },
  ): void {
    this.store.finish(id, state, detail);
  }

  /**
   * A queued job is cancelled at once (removed from Redis, or, if a worker has just taken it, stopped there);
   * a running one is told to stop on its worker, which answers with the job's end (a training checkpoints).
   */
  cancelQueued(id: string): JobState | undefined {
    const record = this.store.get(id);
    if (!record) return undefined;
    const before = record.state;
    if (before !== 'queued' && before !== 'running') return before;
    void this.redis
      .set(cancelKey(id), '1', 'EX', 24 * 3600)
      .then(() => this.redis.publish(CANCEL_CHANNEL, id))
      .catch(() => {});
    if (before === 'queued') {
      void this.queue.remove(id).catch(() => 0);
      this.store.finish(id, 'cancelled', { checkpointed: false });
    }
    return before;
  }

  counts(): Record<JobState, number> {
    return this.store.counts();
  }

  onSubmit(listener: () => void): void {
    this.submitListeners.push(listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    this.redis.disconnect();
  }

  /** After Redis comes back: a job it no longer knows (restarted without its data) will never end; say so. */
  private async reconcile(): Promise<void> {
    for (const record of this.store.list(0, Number.MAX_SAFE_INTEGER).jobs) {
      if (record.state !== 'queued' && record.state !== 'running') continue;
      const state = await this.queue.getJobState(record.id).catch(() => 'error');
      if (state === 'unknown') {
        this.store.finish(record.id, 'failed', {
          error: `the job was lost: Redis at ${this.options.address.url} came back without it (restarted without its data); submit it again`,
        });
      }
    }
  }

  private listen(): void {
    const { store } = this;
    this.events.on('active', ({ jobId }) => {
      const record = store.get(jobId);
      if (!record || isFinished(record.state)) return;
      record.state = 'running';
      record.startedAt ??= new Date().toISOString();
    });
    this.events.on('progress', ({ jobId, data }) => {
      const record = store.get(jobId);
      if (!record || isFinished(record.state) || !isWorkerMessage(data)) return;
      const { event } = data;
      if (event.type === 'started') {
        record.worker = data.worker;
        record.attempts = data.attempt;
        record.state = 'running';
      }
      if (event.type === 'progress')
        record.progress = { step: event.step, total: event.total, ...(event.losses ? { losses: event.losses } : {}) };
      store.emit(jobId, event);
    });
    this.events.on('completed', ({ jobId, returnvalue }) => {
      const value: unknown = typeof returnvalue === 'string' ? safeParse(returnvalue) : returnvalue;
      if (!isWorkerReturn(value)) return store.finish(jobId, 'failed', { error: 'the worker answered with no result' });
      const record = store.get(jobId);
      if (record) record.worker = value.worker;
      if (value.state === 'done') store.finish(jobId, 'done', { result: value.result });
      else store.finish(jobId, 'cancelled', { result: value.result, checkpointed: value.checkpointed });
    });
    this.events.on('failed', ({ jobId, failedReason }) => {
      if (store.get(jobId)?.state === 'cancelled') return;
      store.finish(jobId, 'failed', { error: failedReason });
    });
    this.events.on('stalled', ({ jobId }) => {
      const record = store.get(jobId);
      if (!record || isFinished(record.state)) return;
      store.emit(jobId, {
        type: 'notice',
        message: `worker ${record.worker ?? '?'} stopped answering; the job goes back to the queue for another worker`,
      });
      record.state = 'queued';
    });
    this.events.on('waiting', ({ jobId, prev }) => {
      const record = store.get(jobId);
      if (!record || isFinished(record.state)) return;
      if (prev === 'failed')
        store.emit(jobId, { type: 'notice', message: 'the attempt failed; the job is queued again' });
      if (prev === 'failed' || prev === 'active') record.state = 'queued';
    });
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
