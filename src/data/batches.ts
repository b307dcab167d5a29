// Seeded shuffled batches over a loaded split. Epoch e's order is a permutation drawn from a
// generator seeded with (seed, e), so a cursor {seed, epoch, position} is all a checkpoint needs to
// resume on exactly the batch an uninterrupted run would have seen next.
import {
  Generator as RandomGenerator,
  type ProcessGroup,
  Tensor,
  activeProcessGroup,
  randperm,
  tensor,
  tidy,
} from '../tensor/index.js';
import type { ManifestEntry } from './format.js';
import type { LoadedSplit, PresenceName } from './loader.js';
import { mixSeed } from './random.js';

export interface BatchCursor {
  seed: number;
  epoch: number;
  /** Index into the epoch's order of the next sample to serve. */
  position: number;
}

export interface BatchOptions {
  batchSize: number;
  seed?: number;
  /** Default true. Without shuffling every epoch is in manifest order. */
  shuffle?: boolean;
  /** Drop the last incomplete batch of an epoch (default true: fixed batch shapes). */
  dropLast?: boolean;
  /** Convert uint8 images to float in [-1, 1] per batch. */
  imagesAsFloat?: boolean;
}

export interface Batch {
  /** Sample rows in the split, int64 [B]. */
  indices: Tensor;
  images?: Tensor;
  audio?: Tensor;
  tokens?: Tensor;
  lengths?: Tensor;
  labels: Map<string, Tensor>;
  /** Which rows have each modality (only for splits loaded with `missing: 'allow'`). */
  presence: Map<PresenceName, Tensor>;
  entries: ManifestEntry[];
  epoch: number;
}

export class BatchLoader {
  private readonly batchSize: number;
  private readonly shuffle: boolean;
  private readonly dropLast: boolean;
  private readonly imagesAsFloat: boolean;
  private seed: number;
  private epoch = 0;
  private position = 0;
  private order: Int32Array | undefined;

  constructor(
    private readonly split: LoadedSplit,
    options: BatchOptions,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1)
      throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
    this.dropLast = options.dropLast ?? true;
    if (this.dropLast && options.batchSize > split.size) {
      throw new Error(
        `batchSize ${options.batchSize} is larger than the ${split.split} split (${split.size} samples); use a smaller batch or dropLast: false`,
      );
    }
    this.batchSize = options.batchSize;
    this.shuffle = options.shuffle ?? true;
    this.imagesAsFloat = options.imagesAsFloat ?? false;
    this.seed = options.seed ?? 0;
    if (!Number.isSafeInteger(this.seed) || this.seed < 0)
      throw new Error(`seed must be a non-negative integer, got ${this.seed}`);
  }

  get batchesPerEpoch(): number {
    return this.dropLast ? Math.floor(this.split.size / this.batchSize) : Math.ceil(this.split.size / this.batchSize);
  }

  /** Where the next batch starts; save it with a checkpoint. */
  get cursor(): BatchCursor {
    return { seed: this.seed, epoch: this.epoch, position: this.position };
  }

  /** Continues from a saved cursor. */
  restore(cursor: BatchCursor): void {
    if (
      !Number.isInteger(cursor.epoch) ||
      cursor.epoch < 0 ||
      !Number.isInteger(cursor.position) ||
      cursor.position < 0 ||
      cursor.position > this.split.size
    ) {
      throw new Error(`invalid data cursor ${JSON.stringify(cursor)} for a split of ${this.split.size} samples`);
    }
    this.seed = cursor.seed;
    this.epoch = cursor.epoch;
    this.position = cursor.position;
    this.order = undefined;
  }

  /** The sample order of an epoch. */
  epochOrder(epoch: number): Int32Array {
    const count = this.split.size;
    if (!this.shuffle) return Int32Array.from({ length: count }, (_, i) => i);
    const generator = new RandomGenerator(mixSeed(this.seed, epoch));
    try {
      const permutation = randperm(count, generator);
      const values = permutation.dataSync();
      permutation.dispose();
      return Int32Array.from(values instanceof BigInt64Array ? Array.from(values, Number) : values);
    } finally {
      generator.dispose();
    }
  }

  private remainingInEpoch(): number {
    return this.split.size - this.position;
  }

  /** Moves on to the next epoch when the current one has no (full) batch left. */
  private rollOverIfDone(): void {
    if (this.remainingInEpoch() === 0 || (this.dropLast && this.remainingInEpoch() < this.batchSize)) {
      this.epoch++;
      this.position = 0;
      this.order = undefined;
    }
  }

  /**
   * The next batch; rolls over into the next epoch. The caller disposes the batch's tensors.
   * Under data-parallel training (an active process group) every rank draws the same global batch
   * and keeps its own contiguous slice of it, so the ranks together see what one process would.
   */
  next(): Batch {
    return this.draw(activeProcessGroup());
  }

  private draw(group: ProcessGroup | undefined): Batch {
    this.rollOverIfDone();
    this.order ??= this.epochOrder(this.epoch);
    const take = Math.min(this.batchSize, this.remainingInEpoch());
    let rows = this.order.subarray(this.position, this.position + take);
    const epoch = this.epoch;
    this.position += take;
    if (group && group.worldSize > 1) {
      if (this.batchSize % group.worldSize !== 0) {
        throw new Error(
          `the batch size ${this.batchSize} does not split evenly over ${group.worldSize} processes; use a batch size that is a multiple of ${group.worldSize}`,
        );
      }
      rows = rows.subarray(
        Math.floor((take * group.rank) / group.worldSize),
        Math.floor((take * (group.rank + 1)) / group.worldSize),
      );
    }
    return this.gather(rows, epoch);
  }

  /** The remaining batches of the current epoch (of the next one if the current one is done). */
  *epochBatches(): Generator<Batch> {
    this.rollOverIfDone();
    const epoch = this.epoch;
    // whole batches on every rank: full passes (latents, evaluation) are not sharded
    while (
      this.epoch === epoch &&
      this.remainingInEpoch() > 0 &&
      !(this.dropLast && this.remainingInEpoch() < this.batchSize)
    )
      yield this.draw(undefined);
  }

  private gather(rows: Int32Array, epoch: number): Batch {
    const split = this.split;
    const entries = Array.from(rows, (row) => split.entries[row] as ManifestEntry);
    return tidy(() => {
      const indices = tensor(BigInt64Array.from(rows, (row) => BigInt(row)));
      let images = split.images?.indexSelect(0, indices);
      if (images && this.imagesAsFloat && images.dtype === 'uint8') images = images.float().div(127.5).sub(1);
      const labels = new Map<string, Tensor>();
      for (const [name, values] of split.labels) labels.set(name, values.indexSelect(0, indices));
      const presence = new Map<PresenceName, Tensor>();
      for (const [name, values] of split.presence) presence.set(name, values.indexSelect(0, indices));
      const batch: Batch = { indices, labels, presence, entries, epoch };
      if (images) batch.images = images;
      if (split.audio) batch.audio = split.audio.indexSelect(0, indices);
      if (split.tokens) batch.tokens = split.tokens.indexSelect(0, indices);
      if (split.lengths) batch.lengths = split.lengths.indexSelect(0, indices);
      return batch;
    });
  }
}

/** Frees a batch's tensors. */
export function disposeBatch(batch: Batch): void {
  for (const value of [
    batch.indices,
    batch.images,
    batch.audio,
    batch.tokens,
    batch.lengths,
    ...batch.labels.values(),
    ...batch.presence.values(),
  ])
    value?.dispose();
}
