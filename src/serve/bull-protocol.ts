// What `mmgen serve --queue redis://…` and `mmgen worker` share: the Redis address, the BullMQ queue name, the
// job data and return value, the progress messages that carry job events back, and the cancel channel.
import { sep } from 'node:path';
import { Redis } from 'ioredis';
import type { Folders } from './prepare.js';
import type { JobEventBody, JobResult, JobSpec } from './types.js';
import type { Prepared } from './worker-protocol.js';

export const QUEUE_NAME = 'mmgen-jobs';
/** Pub/sub channel on which the server names a job to cancel; the worker running it stops it. */
export const CANCEL_CHANNEL = 'mmgen:cancel';
/** A key that marks a job cancelled, for a worker that takes it after the cancel message went out. */
export const cancelKey = (id: string): string => `mmgen:cancelled:${id}`;

export interface RedisAddress {
  host: string;
  port: number;
  /** redis://host:port, as messages name it. */
  url: string;
}

/** Reads `redis://HOST:PORT` (port 6379 when left out); anything else is an error naming the flag and the form. */
export function parseRedisAddress(value: string, flag = '--queue'): RedisAddress {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${flag} ${value}: not an address; give redis://HOST:PORT, e.g. redis://127.0.0.1:6379`);
  }
  if (url.protocol !== 'redis:')
    throw new Error(`${flag} ${value}: only redis://HOST:PORT queues are known (BullMQ on Redis)`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new Error(`${flag} ${value}: no host; give redis://HOST:PORT`);
  return { host, port, url: `redis://${url.hostname}:${port}` };
}

/**
 * Connection options: commands wait while Redis is away (BullMQ needs maxRetriesPerRequest null) and the
 * client reconnects every second or so, so a restarted Redis is picked up quickly.
 */
export interface ConnectionOptions {
  host: string;
  port: number;
  maxRetriesPerRequest: null;
  retryStrategy: (times: number) => number;
}

export function connectionOptions(address: RedisAddress): ConnectionOptions {
  return {
    host: address.host,
    port: address.port,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(250 * times, 1000),
  };
}

/** Connects once without retrying, so a process started with no Redis there fails at once with the reason. */
export async function probeRedis(address: RedisAddress): Promise<void> {
  const client = new Redis({
    host: address.host,
    port: address.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
  });
  let cause: Error | undefined;
  client.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    client.disconnect();
  }
}

/** A job as it travels through Redis: the request, its prepared form, and the server's folders its paths are in. */
export interface QueuedJob {
  spec: JobSpec;
  prepared: Prepared;
  folders: Folders;
}

/** A job event sent by the worker running it (as BullMQ job progress). */
export interface WorkerMessage {
  worker: string;
  attempt: number;
  event: JobEventBody;
}

/** How a job ended on its worker (a failure is a thrown error instead, so BullMQ retries it). */
export interface WorkerReturn {
  state: 'done' | 'cancelled';
  result?: JobResult;
  checkpointed?: boolean;
  worker: string;
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Partial<WorkerMessage>;
  return (
    typeof message.worker === 'string' &&
    typeof message.event === 'object' &&
    message.event !== null &&
    typeof message.event.type === 'string'
  );
}

export function isWorkerReturn(value: unknown): value is WorkerReturn {
  if (typeof value !== 'object' || value === null) return false;
  const state = (value as Partial<WorkerReturn>).state;
  return state === 'done' || state === 'cancelled';
}

/**
 * Moves every path of a prepared job from the server's folders to this worker's (the same shared folders may
 * be mounted at other paths on another host).
 */
export function relocate<T>(value: T, from: Folders, to: Folders): T {
  const pairs = (Object.keys(from) as (keyof Folders)[]).map((key) => [from[key], to[key]] as const);
  const move = (item: unknown): unknown => {
    if (typeof item === 'string') {
      for (const [source, target] of pairs) {
        if (item === source) return target;
        if (item.startsWith(source + sep)) return target + item.slice(source.length);
      }
      return item;
    }
    if (Array.isArray(item)) return item.map(move);
    if (typeof item === 'object' && item !== null)
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => [key, move(entry)]));
    return item;
  };
  return move(value) as T;
}
