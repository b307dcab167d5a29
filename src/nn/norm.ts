// Normalisation layers as torch.nn.BatchNorm1d/2d, LayerNorm and GroupNorm, with PyTorch's
// parameter and buffer names (weight, bias, running_mean, running_var, num_batches_tracked).
import { type Tensor, F, ones, scalar, zeros } from '../tensor/index.js';
import { Module } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** Running-average factor; null uses a cumulative average (1 / num_batches_tracked), as PyTorch's momentum=None. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;

  protected constructor(
    readonly features: number,
    private readonly ranks: number[],
    private readonly layout: string,
    options: BatchNormOptions,
  ) {
    super();
    if (!Number.isInteger(features) || features < 1)
      throw new Error(`${this.constructor.name}: features must be a positive integer, got ${features}`);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([features])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([features])) : null;
    const track = options.trackRunningStats ?? true;
    this.runningMean = track ? this.registerBuffer('running_mean', zeros([features])) : null;
    this.runningVar = track ? this.registerBuffer('running_var', ones([features])) : null;
    this.numBatchesTracked = track ? this.registerBuffer('num_batches_tracked', scalar(0, 'int64')) : null;
  }

  override describe(): string {
    return `${this.constructor.name}(${this.features})`;
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (!this.ranks.includes(shape.length) || shape[1] !== this.features) {
      throw new Error(
        `${this.describe()} expects input ${this.layout.replaceAll('C', String(this.features))}, got [${shape.join(', ')}]`,
      );
    }
    let factor = this.momentum ?? 0;
    const track = this.runningMean !== null;
    if (this.training) {
      if (shape.reduce((a, b) => a * b, 1) / this.features <= 1) {
        throw new Error(
          `${this.describe()} needs more than one value per channel in training, got input [${shape.join(', ')}]`,
        );
      }
      if (this.numBatchesTracked !== null) {
        const count = this.numBatchesTracked.item() + 1;
        this.numBatchesTracked.fill_(count);
        if (this.momentum === null) factor = 1 / count;
      }
    }
    // native batch_norm updates running_mean/running_var in place when training
    return F.batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training || !track,
      momentum: factor,
      eps: this.eps,
    });
  }
}

/** Normalises [batch, C] or [batch, C, length] over the batch (and length). */
export class BatchNorm1d extends BatchNormBase {
  constructor(features: number, options: BatchNormOptions = {}) {
    super(features, [2, 3], '[batch, C] or [batch, C, length]', options);
  }
}

/** Normalises [batch, C, height, width] per channel. */
export class BatchNorm2d extends BatchNormBase {
  constructor(features: number, options: BatchNormOptions = {}) {
    super(features, [4], '[batch, C, height, width]', options);
  }
}

/** Normalises over the trailing dimensions given by `shape`. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(shape: number | number[], options: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof shape === 'number' ? [shape] : [...shape];
    if (this.normalizedShape.length === 0 || !this.normalizedShape.every((s) => Number.isInteger(s) && s > 0)) {
      throw new Error(`LayerNorm: shape must be positive integers, got ${JSON.stringify(shape)}`);
    }
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones(this.normalizedShape)) : null;
    this.bias = affine && (options.bias ?? true) ? this.registerParameter('bias', zeros(this.normalizedShape)) : null;
  }

  override describe(): string {
    return `LayerNorm([${this.normalizedShape.join(', ')}])`;
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    const tail = shape.slice(shape.length - this.normalizedShape.length);
    if (shape.length < this.normalizedShape.length || tail.join(',') !== this.normalizedShape.join(',')) {
      throw new Error(
        `${this.describe()} expects input [..., ${this.normalizedShape.join(', ')}], got [${shape.join(', ')}]`,
      );
    }
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}

/** Normalises channels in groups over [batch, C, ...]. */
export class GroupNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(
    readonly groups: number,
    readonly channels: number,
    options: { eps?: number; affine?: boolean } = {},
  ) {
    super();
    if (!Number.isInteger(groups) || groups < 1 || !Number.isInteger(channels) || channels % groups !== 0) {
      throw new Error(`GroupNorm: channels (${channels}) must be divisible by groups (${groups})`);
    }
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([channels])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([channels])) : null;
  }

  override describe(): string {
    return `GroupNorm(${this.groups} groups, ${this.channels})`;
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape.length < 2 || shape[1] !== this.channels) {
      throw new Error(`${this.describe()} expects input [batch, ${this.channels}, ...], got [${shape.join(', ')}]`);
    }
    return F.groupNorm(x, this.groups, this.weight, this.bias, this.eps);
  }
}
