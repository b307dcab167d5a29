// Layers without parameters: activations, Identity, Flatten, Dropout, Upsample and pooling, so they
// can sit inside a Sequential.
import { type Tensor, F } from '../tensor/index.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) {
    super();
  }
  override describe(): string {
    return `LeakyReLU(${this.slope})`;
  }
  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.slope);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.gelu(this.approximate);
  }
}

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.elu(this.alpha);
  }
}

export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softplus(this.beta, this.threshold);
  }
}

export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }
}

/** Returns its input itself (not a copy), as torch.nn.Identity. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims start..end (default 1..-1: keeps the batch dimension, as torch.nn.Flatten). */
export class Flatten extends Module {
  constructor(
    readonly start = 1,
    readonly end = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.start, this.end);
  }
}

/** Zeroes elements with probability p in training (scaling the rest by 1/(1-p)); a copy in eval. */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }
  override describe(): string {
    return `Dropout(${this.p})`;
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}

export interface UpsampleOptions {
  scaleFactor?: number;
  size?: number[];
  mode?: 'nearest' | 'bilinear' | 'linear';
  alignCorners?: boolean;
}

/** Resizes [batch, C, length] or [batch, C, height, width] by scaleFactor or to size. */
export class Upsample extends Module {
  constructor(readonly options: UpsampleOptions) {
    super();
    if ((options.scaleFactor === undefined) === (options.size === undefined))
      throw new Error('Upsample: give exactly one of scaleFactor and size');
  }
  override describe(): string {
    return `Upsample(${this.options.size ? `size ${this.options.size.join('x')}` : `x${this.options.scaleFactor}`}, ${this.options.mode ?? 'nearest'})`;
  }
  forward(x: Tensor): Tensor {
    const expected = this.options.mode === 'bilinear' ? [4] : this.options.mode === 'linear' ? [3] : [3, 4];
    if (!expected.includes(x.rank) || (this.options.size !== undefined && this.options.size.length !== x.rank - 2)) {
      throw new Error(
        `${this.describe()} expects input ${expected.includes(4) ? '[batch, C, height, width]' : '[batch, C, length]'}` +
          `${expected.length > 1 ? ' or [batch, C, length]' : ''}, got [${x.shape.join(', ')}]`,
      );
    }
    return F.interpolate(x, this.options);
  }
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernel: number | [number, number],
    readonly options: F.PoolOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernel, this.options);
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernel: number | [number, number],
    readonly options: F.PoolOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernel, this.options);
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly size: number | [number, number]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.size);
  }
}
