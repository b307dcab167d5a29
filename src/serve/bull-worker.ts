// `mmgen worker --queue redis://…`: takes jobs from the BullMQ queue and runs them with the server's own
// machinery (an in-process queue, an executor, model worker processes, training children), sending every job
// event back as BullMQ job progress. A job's end is its return value; a failure is thrown, so BullMQ tries it
// again (up to the job's attempts). A worker killed mid-job stops renewing its lock; BullMQ's stalled-job check
// (run by the other workers) puts the job back, and the next worker runs it again — a training job resumes
// from its last checkpoint in the shared runs folder.
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { type Job, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  CANCEL_CHANNEL,
  type QueuedJob,
  type RedisAddress,
  type WorkerMessage,
  type WorkerReturn,
  QUEUE_NAME,
  cancelKey,
  connectionOptions,
  probeRedis,
  relocate,
} from './bull-protocol.js';
import { Executor } from './executor.js';
import type { Folders } from './prepare.js';
import { MemoryJobQueue } from './queue.js';
import type { JobEvent } from './types.js';
import { WorkerPool } from './worker-pool.js';

export interface JobWorkerOptions {
  address: RedisAddress;
  folders: Folders;
  /** Jobs at once (inference processes; training jobs too). */
  concurrency: number;
  jobTimeoutSeconds: number;
  /** Lock on a running job; a worker silent this long has its job taken back. */
  lockDurationMs: number;
  /** How often this worker looks for stalled jobs. */
  stalledIntervalMs: number;
  /** Stalls a job may survive before it ends as failed. */
  maxStalledCount: number;
  /** One line per job taken, finished or cancelled here. */
  log(line: string): void;
}

export interface JobWorker {
  name: string;
  /** Stops taking jobs, lets the running inference finish, hands training back to the queue (checkpointed), then closes. */
  close(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function startJobWorker(options: JobWorkerOptions): Promise<JobWorker> {
  const name = `${hostname()}:${process.pid}`;
  const folders: Folders = {
    runsDir: resolve(options.folders.runsDir),
    outputsDir: resolve(options.folders.outputsDir),
    dataDir: resolve(options.folders.dataDir),
    configsDir: resolve(options.folders.configsDir),
  };
  await probeRedis(options.address);
  const connection = connectionOptions(options.address);
  const local = new MemoryJobQueue({ capacity: Number.MAX_SAFE_INTEGER, history: 100, retryAfterSeconds: 1 });
  const pool = new WorkerPool(options.concurrency, options.jobTimeoutSeconds * 1000);
  const executor = new Executor({
    queue: local,
    pool,
    outputsDir: folders.outputsDir,
    runsDir: folders.runsDir,
    trainSlots: options.concurrency,
    timeoutMs: options.jobTimeoutSeconds * 1000,
  });
  const redis = new Redis(connection);
  redis.on('error', () => {});
  const subscriber = new Redis(connection);
  subscriber.on('error', () => {});
  await subscriber.subscribe(CANCEL_CHANNEL);
  subscriber.on('message', (_channel: string, id: string) => {
    const state = local.get(id)?.state;
    if (state !== 'queued' && state !== 'running') return;
    options.log(`cancel ${id}`);
    if (local.cancelQueued(id) === 'running') executor.cancel(id);
  });

  /** Training jobs stopped because this worker shuts down: they go back to the queue, not to cancelled. */
  const handedBack = new Set<string>();
  const processor = async (job: Job<QueuedJob>, token?: string): Promise<WorkerReturn> => {
    const id = job.id!;
    const attempt = job.attemptsMade + 1;
    if ((await redis.exists(cancelKey(id))) === 1) return { state: 'cancelled', checkpointed: false, worker: name };
    const { spec } = job.data;
    const prepared = relocate(job.data.prepared, job.data.folders, folders);
    // the server refuses a run name that exists, so a checkpoint here is an earlier attempt's: go on from it
    if (prepared.kind === 'train') prepared.order.resume = await exists(join(prepared.order.runDir, 'state.json'));
    options.log(
      `start ${id} ${spec.task} attempt ${attempt}${prepared.kind === 'train' && prepared.order.resume ? ' (resuming from its checkpoint)' : ''}`,
    );
    // events go out in order; the job ends only after the last one is sent
    let sending: Promise<unknown> = Promise.resolve();
    const send = (event: WorkerMessage['event']): void => {
      const message: WorkerMessage = { worker: name, attempt, event };
      sending = sending.then(() => job.updateProgress(message as unknown as object)).catch(() => {});
    };
    const end = new Promise<JobEvent>((settle) => {
      local.submit(spec, prepared, id);
      const unsubscribe = local.subscribe(id, 0, (event) => {
        if (event.type === 'queued') return;
        if (event.type === 'done' || event.type === 'error' || event.type === 'cancelled') {
          queueMicrotask(() => unsubscribe());
          settle(event);
          return;
        }
        const { id: _eventId, job: _job, time: _time, ...body } = event;
        send(body as WorkerMessage['event']);
      });
    });
    const last = await end;
    await sending;
    if (last.type === 'error') {
      options.log(`failed ${id}: ${last.message}`);
      send({ type: 'notice', message: `attempt ${attempt} failed on worker ${name}: ${last.message}` });
      await sending;
      throw new Error(last.message);
    }
    if (last.type === 'cancelled' && handedBack.has(id)) {
      options.log(`handed back ${id}`);
      send({
        type: 'notice',
        message: `worker ${name} is shutting down; the job goes back to the queue and resumes from its checkpoint`,
      });
      await sending;
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (last.type === 'cancelled') {
      options.log(`cancelled ${id}`);
      const result = local.get(id)?.result;
      return { state: 'cancelled', checkpointed: last.checkpointed, worker: name, ...(result ? { result } : {}) };
    }
    options.log(`done ${id}`);
    return { state: 'done', result: last.type === 'done' ? last.result : { files: [] }, worker: name };
  };

  const worker = new Worker<QueuedJob, WorkerReturn>(QUEUE_NAME, processor, {
    connection,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
  });
  worker.on('error', () => {});
  // a lock this worker could not renew means the job is no longer ours (handed to another worker after a stall,
  // or lost with a Redis restarted without its data): stop it here (a training checkpoints first)
  const lost = new Set<string>();
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      const state = local.get(id)?.state;
      if ((state !== 'queued' && state !== 'running') || lost.has(id)) continue;
      lost.add(id);
      options.log(`lost ${id}: its lock could not be renewed; stopping it here`);
      if (local.cancelQueued(id) === 'running') executor.cancel(id);
    }
  });
  await worker.waitUntilReady();
  return {
    name,
    close: async () => {
      const closed = worker.close();
      // training can run for hours: checkpoint it and let another worker go on; inference jobs finish here
      for (const record of local.list(0, Number.MAX_SAFE_INTEGER).jobs) {
        if (record.state === 'running' && record.spec.task === 'train') {
          handedBack.add(record.id);
          executor.cancel(record.id);
        }
      }
      await closed;
      await executor.idle();
      await pool.close();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}
