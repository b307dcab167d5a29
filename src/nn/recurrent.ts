// GRU and LSTM as torch.nn.GRU/LSTM: the fused native kernels, parameters under PyTorch's names
// (weight_ih_l0, weight_hh_l0_reverse, bias_ih_l1, ...) and in its flat order, uniform(+-1/sqrt(hidden)) init.
import { type Tensor, F, empty, tidy, zeros } from '../tensor/index.js';
import { uniform_ } from './init.js';
import { Module } from './module.js';

export interface RecurrentOptions {
  layers?: number;
  /** Input and output as [batch, time, features] instead of [time, batch, features]. */
  batchFirst?: boolean;
  bidirectional?: boolean;
  /** Dropout between stacked layers, in training mode. */
  dropout?: number;
  bias?: boolean;
}

abstract class RecurrentBase extends Module {
  readonly layers: number;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly hasBias: boolean;
  /** Parameters in the order the fused kernels take them: w_ih, w_hh, b_ih, b_hh per layer and direction. */
  protected readonly flatWeights: Tensor[] = [];

  protected constructor(
    gates: number,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RecurrentOptions,
  ) {
    super();
    const name = this.constructor.name;
    this.layers = options.layers ?? 1;
    this.batchFirst = options.batchFirst ?? false;
    this.bidirectional = options.bidirectional ?? false;
    this.dropout = options.dropout ?? 0;
    this.hasBias = options.bias ?? true;
    for (const [label, value] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['layers', this.layers],
    ] as const) {
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`${name}: ${label} must be a positive integer, got ${value}`);
    }
    if (!(this.dropout >= 0 && this.dropout <= 1))
      throw new Error(`${name}: dropout must be in [0, 1], got ${this.dropout}`);
    const directions = this.directions;
    const bound = 1 / Math.sqrt(hiddenSize);
    for (let layer = 0; layer < this.layers; layer++) {
      for (let direction = 0; direction < directions; direction++) {
        const suffix = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? inputSize : hiddenSize * directions;
        const shapes: [string, number[]][] = [
          [`weight_ih${suffix}`, [gates * hiddenSize, layerInput]],
          [`weight_hh${suffix}`, [gates * hiddenSize, hiddenSize]],
        ];
        if (this.hasBias)
          shapes.push([`bias_ih${suffix}`, [gates * hiddenSize]], [`bias_hh${suffix}`, [gates * hiddenSize]]);
        for (const [parameter, shape] of shapes) this.flatWeights.push(this.registerParameter(parameter, empty(shape)));
      }
    }
    // PyTorch draws in parameter order after creating them all
    for (const weight of this.flatWeights) uniform_(weight, -bound, bound);
  }

  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  override describe(): string {
    const extras = [this.layers > 1 ? `${this.layers} layers` : '', this.bidirectional ? 'bidirectional' : ''].filter(
      Boolean,
    );
    return `${this.constructor.name}(${this.inputSize} -> ${this.hiddenSize}${extras.map((e) => `, ${e}`).join('')})`;
  }

  protected get args(): F.RnnArgs {
    return {
      hasBiases: this.hasBias,
      layers: this.layers,
      dropout: this.dropout,
      training: this.training,
      bidirectional: this.bidirectional,
      batchFirst: this.batchFirst,
    };
  }

  /** Checks x and returns [batched?, batch size]. */
  protected checkInput(x: Tensor): { batched: boolean; batch: number } {
    const shape = x.shape;
    const layout = this.batchFirst ? `[batch, time, ${this.inputSize}]` : `[time, batch, ${this.inputSize}]`;
    if ((shape.length !== 3 && shape.length !== 2) || shape[shape.length - 1] !== this.inputSize) {
      throw new Error(
        `${this.describe()} expects input ${layout} (or unbatched [time, ${this.inputSize}]), got [${shape.join(', ')}]`,
      );
    }
    if (shape.length === 2) return { batched: false, batch: 1 };
    return { batched: true, batch: (this.batchFirst ? shape[0] : shape[1]) ?? 0 };
  }

  /** Validates a given initial state, or makes zeros [layers x directions, batch, hidden]. */
  protected initialState(x: Tensor, given: Tensor | undefined, batched: boolean, batch: number, label: string): Tensor {
    const expected = [this.layers * this.directions, batch, this.hiddenSize];
    if (given === undefined) return zeros(expected, x.dtype);
    const want = batched ? expected : [expected[0] ?? 0, this.hiddenSize];
    if (given.shape.join(',') !== want.join(',')) {
      throw new Error(
        `${this.describe()} expects ${label} of shape [${want.join(', ')}], got [${given.shape.join(', ')}]`,
      );
    }
    return batched ? given : given.unsqueeze(1);
  }

  /** Unbatched input gets a batch dimension of one on the way in. */
  protected batchInput(x: Tensor, batched: boolean): Tensor {
    return batched ? x : x.unsqueeze(this.batchFirst ? 0 : 1);
  }
  protected unbatchOutput(output: Tensor, batched: boolean): Tensor {
    return batched ? output : output.squeeze(this.batchFirst ? 0 : 1);
  }
}

/** Gated recurrent unit. forward(x, h0?) returns [output, hN]. */
export class GRU extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super(3, inputSize, hiddenSize, options);
  }

  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const { batched, batch } = this.checkInput(x);
    return tidy(() => {
      const hidden = this.initialState(x, h0, batched, batch, 'h0');
      const [output, last] = F.gru(this.batchInput(x, batched), hidden, this.flatWeights, this.args);
      return [this.unbatchOutput(output, batched), batched ? last : last.squeeze(1)];
    });
  }
}

/** Long short-term memory. forward(x, [h0, c0]?) returns [output, [hN, cN]]. */
export class LSTM extends RecurrentBase {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super(4, inputSize, hiddenSize, options);
  }

  forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const { batched, batch } = this.checkInput(x);
    return tidy(() => {
      const hidden = this.initialState(x, state?.[0], batched, batch, 'h0');
      const cell = this.initialState(x, state?.[1], batched, batch, 'c0');
      const [output, lastHidden, lastCell] = F.lstm(
        this.batchInput(x, batched),
        hidden,
        cell,
        this.flatWeights,
        this.args,
      );
      const unbatch = (t: Tensor): Tensor => (batched ? t : t.squeeze(1));
      return [this.unbatchOutput(output, batched), [unbatch(lastHidden), unbatch(lastCell)]];
    });
  }
}
