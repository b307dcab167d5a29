// What every route shares: folders, the queue, the executor, and submitting a job.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Executor } from './executor.js';
import { HttpError } from './errors.js';
import { type Folders, prepareJob } from './prepare.js';
import { type JobQueue, QueueFullError } from './queue.js';
import type { JobEvent, JobRecord, JobSpec } from './types.js';
import { isFinished } from './types.js';

export interface ServeContext {
  folders: Folders;
  queue: JobQueue;
  executor: Executor;
  /** True once SIGTERM (or close) began: no new jobs. */
  draining: boolean;
  startedAt: number;
  workerPids(): number[];
}

/** Refuses at once when no job can be taken (draining, or the queue full), before any input is read. */
export function refuseWhenBusy(context: ServeContext): void {
  if (context.draining)
    throw new HttpError(503, 'draining', 'the server is shutting down and takes no new jobs', { 'retry-after': '30' });
  const { queue } = context;
  const unavailable = queue.unavailable;
  if (unavailable !== undefined) throw new HttpError(503, 'queue_unavailable', unavailable, { 'retry-after': '5' });
  if (queue.full)
    throw new HttpError(
      429,
      'queue_full',
      `the job queue is full (${queue.depth} jobs waiting); retry after ${queue.retryAfterSeconds} s`,
      { 'retry-after': String(queue.retryAfterSeconds) },
    );
}

/**
 * A route hook that refuses before the body is read or validated when no job can be taken: under a flood of
 * clients the refusals stay cheap and leave the CPU to the model workers.
 */
export function busyGuard(
  context: ServeContext,
): (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void {
  return (_request, _reply, done) => {
    try {
      refuseWhenBusy(context);
      done();
    } catch (error) {
      done(error as Error);
    }
  };
}

export async function submitJob(context: ServeContext, spec: JobSpec): Promise<JobRecord> {
  refuseWhenBusy(context);
  const prepared = await prepareJob(spec, context.folders);
  let record: JobRecord;
  try {
    record = await context.queue.submit(spec, prepared);
  } catch (error) {
    if (error instanceof QueueFullError)
      throw new HttpError(429, 'queue_full', error.message, { 'retry-after': String(error.retryAfterSeconds) });
    throw error;
  }
  context.executor.pump();
  return record;
}

/** Waits for a job to finish (for the synchronous shortcuts). */
export function waitForJob(context: ServeContext, id: string): Promise<JobRecord> {
  const finished = (): JobRecord | undefined => {
    const record = context.queue.get(id);
    return record && isFinished(record.state) ? record : undefined;
  };
  return new Promise((resolve) => {
    const now = finished();
    if (now) return resolve(now);
    // an unfinished job's replayed events hold no ending, so the ending arrives after subscribe returns
    const unsubscribe = context.queue.subscribe(id, 0, (event: JobEvent) => {
      if (event.type !== 'done' && event.type !== 'error' && event.type !== 'cancelled') return;
      unsubscribe();
      resolve(finished()!);
    });
  });
}

/** A finished job as a shortcut answers it: its result, or its error as an HTTP error. */
export function shortcutAnswer(record: JobRecord): NonNullable<JobRecord['result']> & { job: string } {
  if (record.state === 'done' && record.result) return { job: record.id, ...record.result };
  if (record.state === 'cancelled') throw new HttpError(409, 'cancelled', `job ${record.id} was cancelled`);
  throw new HttpError(422, 'job_failed', record.error ?? 'the job failed');
}
