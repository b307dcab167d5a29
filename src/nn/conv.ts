// Convolutions as torch.nn.Conv1d/Conv2d/ConvTranspose1d/ConvTranspose2d: same weight layout
// ([out, in/groups, *k], transposed [in, out/groups, *k]), same default initialisation.
import { type Tensor, empty, handleOf, wrapHandle } from '../tensor/index.js';
import { native } from '../tensor/native.js';
import { biasUniform_, kaimingUniform_ } from './init.js';
import { Module } from './module.js';

export type Size = number | number[];
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface ConvLayerOptions {
  stride?: Size;
  padding?: Size;
  dilation?: Size;
  groups?: number;
  bias?: boolean;
  /** How padding is filled (PyTorch's padding_mode); ConvTranspose supports 'zeros' only. */
  paddingMode?: PaddingMode;
}
export interface ConvTransposeLayerOptions extends Omit<ConvLayerOptions, 'paddingMode'> {
  outputPadding?: Size;
}

function expand(name: string, value: Size, rank: number, layer: string, minimum: number): number[] {
  const list = typeof value === 'number' ? new Array<number>(rank).fill(value) : value;
  if (list.length !== rank || !list.every((v) => Number.isInteger(v) && v >= minimum)) {
    throw new Error(
      `${layer}: ${name} must be an integer >= ${minimum} or a list of ${rank}, got ${JSON.stringify(value)}`,
    );
  }
  return list;
}

abstract class ConvBase extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;

  protected constructor(
    private readonly rank: 1 | 2,
    private readonly transposed: boolean,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size,
    options: ConvTransposeLayerOptions & { paddingMode?: PaddingMode },
  ) {
    super();
    const layer = this.constructor.name;
    for (const [name, value] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`${layer}: ${name} must be a positive integer, got ${value}`);
    }
    this.kernelSize = expand('kernelSize', kernelSize, rank, layer, 1);
    this.stride = expand('stride', options.stride ?? 1, rank, layer, 1);
    this.padding = expand('padding', options.padding ?? 0, rank, layer, 0);
    this.dilation = expand('dilation', options.dilation ?? 1, rank, layer, 1);
    this.outputPadding = expand('outputPadding', options.outputPadding ?? 0, rank, layer, 0);
    this.groups = options.groups ?? 1;
    this.paddingMode = options.paddingMode ?? 'zeros';
    if (
      !Number.isInteger(this.groups) ||
      this.groups < 1 ||
      inChannels % this.groups !== 0 ||
      outChannels % this.groups !== 0
    ) {
      throw new Error(
        `${layer}: groups (${this.groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`,
      );
    }
    if (transposed && this.paddingMode !== 'zeros') throw new Error(`${layer} supports paddingMode 'zeros' only`);
    const weightShape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    // fan_in comes from weight dim 1, for transposed convolutions too (as PyTorch)
    this.weight = this.registerParameter('weight', kaimingUniform_(empty(weightShape), { a: Math.sqrt(5) }));
    this.bias =
      (options.bias ?? true) ? this.registerParameter('bias', biasUniform_(empty([outChannels]), this.weight)) : null;
  }

  override describe(): string {
    const list = (values: number[]): string => values.join('x');
    let text = `${this.constructor.name}(${this.inChannels} -> ${this.outChannels}, kernel ${list(this.kernelSize)}`;
    if (this.stride.some((s) => s !== 1)) text += `, stride ${list(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) text += `, padding ${list(this.padding)}`;
    if (this.groups !== 1) text += `, groups ${this.groups}`;
    return `${text})`;
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape.length !== this.rank + 2 || shape[1] !== this.inChannels) {
      const spatial = this.rank === 1 ? 'length' : 'height, width';
      throw new Error(
        `${this.describe()} expects input [batch, ${this.inChannels}, ${spatial}], got [${shape.join(', ')}]`,
      );
    }
    const value = this.parameterValue('weight', this.weight);
    try {
      return this.convolve(x, handleOf(value));
    } finally {
      if (value !== this.weight) value.dispose(); // a parametrized (spectral-norm) weight is per call
    }
  }

  private convolve(x: Tensor, weight: number): Tensor {
    const bias = this.bias === null ? null : handleOf(this.bias);
    if (this.transposed) {
      return wrapHandle(
        native().convTranspose(
          handleOf(x),
          weight,
          bias,
          this.stride,
          this.padding,
          this.outputPadding,
          this.dilation,
          this.groups,
        ),
      );
    }
    if (this.paddingMode === 'zeros' || this.padding.every((p) => p === 0)) {
      return wrapHandle(
        native().conv(handleOf(x), weight, bias, this.stride, this.padding, this.dilation, this.groups),
      );
    }
    // F.pad lists the last dimension first
    const pads = [...this.padding].reverse().flatMap((p) => [p, p]);
    const padded = x.pad(pads, this.paddingMode);
    try {
      return wrapHandle(
        native().conv(
          handleOf(padded),
          weight,
          bias,
          this.stride,
          new Array<number>(this.rank).fill(0),
          this.dilation,
          this.groups,
        ),
      );
    } finally {
      padded.dispose();
    }
  }
}

export class Conv1d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options: ConvLayerOptions = {}) {
    super(1, false, inChannels, outChannels, kernelSize, options);
  }
}

export class Conv2d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options: ConvLayerOptions = {}) {
    super(2, false, inChannels, outChannels, kernelSize, options);
  }
}

export class ConvTranspose1d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options: ConvTransposeLayerOptions = {}) {
    super(1, true, inChannels, outChannels, kernelSize, options);
  }
}

export class ConvTranspose2d extends ConvBase {
  constructor(inChannels: number, outChannels: number, kernelSize: Size, options: ConvTransposeLayerOptions = {}) {
    super(2, true, inChannels, outChannels, kernelSize, options);
  }
}
