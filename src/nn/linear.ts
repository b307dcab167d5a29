// Linear: y = x W^T + b over the last dimension, as torch.nn.Linear (weight [out, in]).
import { type Tensor, empty, handleOf, wrapHandle } from '../tensor/index.js';
import { native } from '../tensor/native.js';
import { biasUniform_, kaimingUniform_ } from './init.js';
import { Module } from './module.js';

/** at::linear in one native call (addmm for 2-D input) instead of matmul + add. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  return wrapHandle(native().linear(handleOf(x), handleOf(weight), bias === null ? null : handleOf(bias)));
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    for (const [name, value] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(value) || value < 0)
        throw new Error(`Linear: ${name} must be a non-negative integer, got ${value}`);
    }
    this.weight = this.registerParameter(
      'weight',
      kaimingUniform_(empty([outFeatures, inFeatures]), { a: Math.sqrt(5) }),
    );
    this.bias =
      (options.bias ?? true) ? this.registerParameter('bias', biasUniform_(empty([outFeatures]), this.weight)) : null;
  }

  override describe(): string {
    return `Linear(${this.inFeatures} -> ${this.outFeatures})`;
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape.length === 0 || shape[shape.length - 1] !== this.inFeatures) {
      throw new Error(`${this.describe()} expects input [..., ${this.inFeatures}], got [${shape.join(', ')}]`);
    }
    const weight = this.parameterValue('weight', this.weight);
    try {
      return linear(x, weight, this.bias);
    } finally {
      if (weight !== this.weight) weight.dispose(); // a parametrized (spectral-norm) weight is per call
    }
  }
}
