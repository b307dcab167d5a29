// Data parallelism over libtorch's c10d (ProcessGroupGloo over a TCP store that rank 0 hosts).
// A ProcessGroup wraps the native group; while one is active (the training loop activates it around
// each step), optimisers average gradients across ranks before they update (synchronizeGradients)
// and seeded batch loaders hand each rank its slice of the global batch.
import { Tensor, handleOf } from './tensor.js';
import { native } from './native.js';
import { tensor, zerosLike } from './create.js';

/** Where rank 0 hosts the store: `host:port`. */
export interface MasterAddress {
  host: string;
  port: number;
}

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  master: MasterAddress;
  /** How long a collective (and joining) may take before it fails; default 300 s. */
  timeoutSeconds?: number;
  /** The address this rank's Gloo device binds to (default: loopback for a loopback master, else this host's name). */
  deviceHost?: string;
}

/** A collective that failed: a peer exited, was killed, or did not answer within the timeout. */
export class CollectiveError extends Error {
  constructor(
    readonly operation: string,
    message: string,
  ) {
    super(`${operation} failed: ${message}`);
    this.name = 'CollectiveError';
  }
}

/** 4 MiB buckets: a few flat buffers for a small model, each one Gloo call. */
const DEFAULT_BUCKET_BYTES = 4 << 20;

/** Reads `host:port` (IPv4 or a name; [v6]:port); throws a clear error naming the flag otherwise. */
export function parseMasterAddress(text: string, flag = '--master'): MasterAddress {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !match[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(
      `${flag} must be HOST:PORT with a port in 1..65535 (e.g. 10.0.0.5:29500), got ${JSON.stringify(text)}`,
    );
  }
  return { host: match[1], port };
}

export class ProcessGroup {
  /** Seconds spent inside all-reduce calls, how many were made and how many elements they reduced (for benchmarks). */
  readonly stats = { allReduceSeconds: 0, allReduceCalls: 0, allReduceElements: 0 };
  private handle: number;

  private constructor(
    handle: number,
    readonly rank: number,
    readonly worldSize: number,
    readonly master: MasterAddress,
    readonly timeoutSeconds: number,
  ) {
    this.handle = handle;
  }

  /** Joins (rank 0: hosts the store and waits for) every rank; blocks until all have joined or the timeout passes. */
  static init(options: ProcessGroupOptions): ProcessGroup {
    const { rank, worldSize, master } = options;
    if (!Number.isInteger(worldSize) || worldSize < 1)
      throw new Error(`the world size must be a whole number >= 1, got ${worldSize}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize)
      throw new Error(`the rank must be in 0..${worldSize - 1} for a world size of ${worldSize}, got ${rank}`);
    const timeoutSeconds = options.timeoutSeconds ?? 300;
    if (!(timeoutSeconds > 0)) throw new Error(`the collective timeout must be > 0 seconds, got ${timeoutSeconds}`);
    let handle: number;
    try {
      handle = native().distInit(
        rank,
        worldSize,
        master.host,
        master.port,
        Math.round(timeoutSeconds * 1000),
        options.deviceHost ?? null,
      );
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\.+$/, '');
      const role =
        rank === 0
          ? `host the store on ${master.host}:${master.port} and wait for ${worldSize - 1} other rank(s)`
          : `reach the master ${master.host}:${master.port}`;
      throw new Error(
        `rank ${rank} of ${worldSize} could not ${role} within ${timeoutSeconds} s: ${reason}. ` +
          'Check that every rank was started with the same --world-size and --master, and that the port is free on the master and reachable.',
        { cause: error },
      );
    }
    return new ProcessGroup(handle, rank, worldSize, master, timeoutSeconds);
  }

  get isOpen(): boolean {
    return this.handle >= 0;
  }

  private live(operation: string): number {
    if (this.handle < 0) throw new Error(`${operation}: this process group was destroyed`);
    return this.handle;
  }

  private run<T>(operation: string, call: (handle: number) => T): T {
    const handle = this.live(operation);
    try {
      return call(handle);
    } catch (error) {
      throw new CollectiveError(operation, error instanceof Error ? error.message : String(error));
    }
  }

  /** Sums each tensor across ranks in place (averages with `average`); returns how many flat buckets it took. */
  allReduce(tensors: Tensor[], options: { average?: boolean; bucketBytes?: number } = {}): number {
    if (tensors.length === 0) return 0;
    const started = performance.now();
    const scale = options.average ? 1 / this.worldSize : 1;
    const buckets = this.run('allReduce', (handle) =>
      native().distAllReduce(handle, tensors.map(handleOf), options.bucketBytes ?? DEFAULT_BUCKET_BYTES, scale),
    );
    this.stats.allReduceSeconds += (performance.now() - started) / 1000;
    this.stats.allReduceCalls += 1;
    for (const value of tensors) this.stats.allReduceElements += value.size;
    return buckets;
  }

  /** Every rank's tensors take the root's values, in place. */
  broadcast(tensors: Tensor[], root = 0): void {
    if (tensors.length === 0) return;
    this.run('broadcast', (handle) =>
      native().distBroadcast(handle, tensors.map(handleOf), root, DEFAULT_BUCKET_BYTES),
    );
  }

  barrier(): void {
    this.run('barrier', (handle) => native().distBarrier(handle));
  }

  /** Small string keys on the shared store (rank 0 hosts it). */
  storeSet(key: string, value: string): void {
    this.run('store set', (handle) => native().distStoreSet(handle, key, value));
  }
  storeHas(keys: string[]): boolean {
    return this.run('store check', (handle) => native().distStoreCheck(handle, keys));
  }

  /** The port the store listens on. */
  get storePort(): number {
    return native().distStorePort(this.live('storePort'));
  }

  /** Closes the connections (and on rank 0 the store). Safe to call twice. */
  destroy(): void {
    if (this.handle < 0) return;
    if (activeGroup === this) activeGroup = undefined;
    native().distDestroy(this.handle);
    this.handle = -1;
  }
}

let activeGroup: ProcessGroup | undefined;
/** Parameters whose gradients were averaged since their optimiser last stepped (clipping syncs before the step). */
const synchronized = new WeakSet<Tensor>();

/** The group training runs under now, if any. */
export function activeProcessGroup(): ProcessGroup | undefined {
  return activeGroup;
}

/** Runs fn with the group active: gradients are averaged and batches sharded inside it. */
export async function withProcessGroup<T>(group: ProcessGroup | undefined, fn: () => Promise<T> | T): Promise<T> {
  if (!group) return fn();
  const previous = activeGroup;
  activeGroup = group;
  try {
    return await fn();
  } finally {
    activeGroup = previous;
  }
}

/**
 * Averages the gradients of params across the active group's ranks, once per optimiser step
 * (no-op without a group). A parameter that has a gradient on any rank gets one on all (zeros where
 * missing) so every rank's optimiser updates the same parameters.
 */
export function synchronizeGradients(params: Tensor[]): void {
  const group = activeGroup;
  if (!group || group.worldSize === 1) return;
  const pending = params.filter((param) => !synchronized.has(param));
  if (pending.length === 0) return;
  const local = native().hasGrad(pending.map(handleOf));
  const presence = tensor(Float32Array.from(local, (has) => (has ? 1 : 0)));
  let counts: Float32Array;
  try {
    group.allReduce([presence]);
    counts = presence.dataSync() as Float32Array;
  } finally {
    presence.dispose();
  }
  const gradients: Tensor[] = [];
  try {
    pending.forEach((param, index) => {
      if ((counts[index] ?? 0) === 0) return;
      if (!local[index]) {
        const zeros = zerosLike(param);
        param.grad = zeros;
        zeros.dispose();
      }
      const gradient = param.grad;
      if (gradient) gradients.push(gradient);
    });
    group.allReduce(gradients, { average: true });
  } finally {
    for (const gradient of gradients) gradient.dispose();
  }
  for (const param of pending) synchronized.add(param);
}

/** The optimiser has used these gradients: the next step's must be averaged again. */
export function releaseGradients(params: Tensor[]): void {
  for (const param of params) synchronized.delete(param);
}

/** Drops gradients and forgets that they were averaged. */
export function zeroGradients(params: Tensor[]): void {
  native().zeroGrad(params.map(handleOf));
  releaseGradients(params);
}
