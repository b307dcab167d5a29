// Embedding: a lookup table [count, dim] as torch.nn.Embedding (N(0, 1) init, padding row zero and
// receiving no gradient).
import { type Tensor, F, empty } from '../tensor/index.js';
import { normal_ } from './init.js';
import { Module } from './module.js';

export class Embedding extends Module {
  readonly weight: Tensor;
  /** Row kept at zero and excluded from gradients, or null. */
  readonly paddingIdx: number | null;

  constructor(
    readonly count: number,
    readonly dim: number,
    options: { paddingIdx?: number } = {},
  ) {
    super();
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(dim) || dim < 1) {
      throw new Error(`Embedding: count and dim must be positive integers, got ${count} and ${dim}`);
    }
    const padding = options.paddingIdx;
    if (padding !== undefined && (!Number.isInteger(padding) || padding >= count || padding < -count)) {
      throw new Error(`Embedding: paddingIdx must be an integer in [-${count}, ${count}), got ${padding}`);
    }
    this.paddingIdx = padding === undefined ? null : padding < 0 ? count + padding : padding;
    const weight = normal_(empty([count, dim]));
    if (this.paddingIdx !== null) {
      const row = weight.select(0, this.paddingIdx);
      row.fill_(0);
      row.dispose();
    }
    this.weight = this.registerParameter('weight', weight);
  }

  override describe(): string {
    return `Embedding(${this.count}, ${this.dim})`;
  }

  /** indices: an int64/int32 tensor of any shape; returns [...indices.shape, dim]. */
  forward(indices: Tensor): Tensor {
    const dtype = indices.dtype;
    if (dtype !== 'int64' && dtype !== 'int32') {
      throw new Error(
        `${this.describe()} expects integer indices (int64 or int32), got ${dtype}; convert with .long()`,
      );
    }
    const weight = this.parameterValue('weight', this.weight);
    try {
      return F.embedding(weight, indices, this.paddingIdx ?? -1);
    } catch (error) {
      throw new Error(`${this.describe()}: ${(error as Error).message}; indices must lie in [0, ${this.count})`, {
        cause: error,
      });
    } finally {
      if (weight !== this.weight) weight.dispose(); // a parametrized (spectral-norm) weight is per call
    }
  }
}
