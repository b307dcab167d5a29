// The blocks of the image generators (conditional-generator.ts): conditional batch norm, the plain and residual
// up-blocks, and the coordinate channels a conv may read. With coordinates, a conv after an upsampling also reads
// two channels holding each pixel's x and y (CoordConv, Liu et al. 2018), so where it draws need not be carried
// in its features.
import { BatchNorm2d, Conv2d, Linear, Module } from '../../nn/index.js';
import { type Tensor, F, cat } from '../../tensor/index.js';
import { pixelPlaces } from './tensor.js';

/** Batch norm without its own affine; scale and shift are predicted from the condition (FiLM). */
export class ConditionalBatchNorm extends Module {
  private readonly norm: BatchNorm2d;
  private readonly scale: Linear;
  private readonly shift: Linear;

  constructor(channels: number, conditionDim: number) {
    super();
    this.norm = this.registerModule('norm', new BatchNorm2d(channels, { affine: false }));
    this.scale = this.registerModule('scale', new Linear(conditionDim, channels));
    this.shift = this.registerModule('shift', new Linear(conditionDim, channels));
  }

  forward(x: Tensor, condition: Tensor): Tensor {
    const gamma = this.scale.forward(condition).add(1).unsqueeze(2).unsqueeze(3);
    const beta = this.shift.forward(condition).unsqueeze(2).unsqueeze(3);
    return this.norm.forward(x).mul(gamma).add(beta);
  }
}

export const upsample = (x: Tensor): Tensor => F.interpolate(x, { scaleFactor: 2, mode: 'nearest' });

/** x [B, C, H, W] with two channels more: each pixel's column and row, from −1 to 1. */
export function withCoordinates(x: Tensor): Tensor {
  const [rows = 0, , height = 1, width = 1] = x.shape;
  return cat([x, pixelPlaces(height, width).expand(rows, 2, height, width)], 1);
}

/** The input of a conv that may read the pixel coordinates too. */
export const placed = (x: Tensor, coordinates: boolean): Tensor => (coordinates ? withCoordinates(x) : x);
export const extra = (coordinates: boolean): number => (coordinates ? 2 : 0);

export interface UpBlock extends Module {
  forward(x: Tensor, condition: Tensor): Tensor;
}

export class PlainUpBlock extends Module implements UpBlock {
  private readonly conv: Conv2d;
  private readonly norm: ConditionalBatchNorm;

  constructor(
    inChannels: number,
    outChannels: number,
    conditionDim: number,
    private readonly coordinates = false,
  ) {
    super();
    const reads = inChannels + extra(coordinates);
    this.conv = this.registerModule('conv', new Conv2d(reads, outChannels, 3, { padding: 1 }));
    this.norm = this.registerModule('norm', new ConditionalBatchNorm(outChannels, conditionDim));
  }

  forward(x: Tensor, condition: Tensor): Tensor {
    return this.norm.forward(this.conv.forward(placed(upsample(x), this.coordinates)), condition).relu();
  }
}

export class ResidualUpBlock extends Module implements UpBlock {
  private readonly norm1: ConditionalBatchNorm;
  private readonly conv1: Conv2d;
  private readonly norm2: ConditionalBatchNorm;
  private readonly conv2: Conv2d;
  private readonly shortcut: Conv2d;

  constructor(
    inChannels: number,
    outChannels: number,
    conditionDim: number,
    private readonly coordinates = false,
    /** false: the block keeps the size (a residual block at one resolution). */
    private readonly doubles = true,
  ) {
    super();
    const reads = inChannels + extra(coordinates);
    this.norm1 = this.registerModule('norm1', new ConditionalBatchNorm(inChannels, conditionDim));
    this.conv1 = this.registerModule('conv1', new Conv2d(reads, outChannels, 3, { padding: 1 }));
    this.norm2 = this.registerModule('norm2', new ConditionalBatchNorm(outChannels, conditionDim));
    this.conv2 = this.registerModule('conv2', new Conv2d(outChannels, outChannels, 3, { padding: 1 }));
    this.shortcut = this.registerModule('shortcut', new Conv2d(inChannels, outChannels, 1));
  }

  forward(x: Tensor, condition: Tensor): Tensor {
    const grow = this.doubles ? upsample : (same: Tensor): Tensor => same;
    const hidden = this.conv1.forward(placed(grow(this.norm1.forward(x, condition).relu()), this.coordinates));
    const residual = this.conv2.forward(this.norm2.forward(hidden, condition).relu());
    // the shortcut's 1×1 conv runs before upsampling: the same result at a quarter of the cost
    return residual.add(grow(this.shortcut.forward(x)));
  }
}
