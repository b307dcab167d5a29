// Conditional image generator: noise + condition → linear → 4×4 feature map → upsampling blocks → 3×3 conv → tanh.
// With `subpixel`, the last doubling is no block: the output conv runs at half size with 4× the channels,
// rearranged into 2×2 pixels (sub-pixel convolution, Shi et al. 2016); the full-size block costs as much as all
// the others together.
// Two block kinds: `plain` (nearest ×2, 3×3 conv, conditional batch norm, ReLU; DCGAN-sized) and `residual`
// (BigGAN's up-block: CBN, ReLU, ×2, conv, CBN, ReLU, conv, plus a 1×1 shortcut), which draws crisper edges
// for the same step budget. Conditional normalisation at every resolution is what lets small GANs follow the prompt.
// With `coordinates`, every conv after an upsampling also reads two channels holding each pixel's x and y
// (CoordConv, Liu et al. 2018): a translation-equivariant conv otherwise has to carry where it is drawing, and
// a small shape's outline at a place and tilt given only by the latent comes out as a round blob.
import { BatchNorm2d, Conv2d, Linear, Module } from '../../nn/index.js';
import { type Tensor, F, cat, ones, tensor } from '../../tensor/index.js';
import { cropToSize, resolutionSteps } from './working-size.js';

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

const upsample = (x: Tensor): Tensor => F.interpolate(x, { scaleFactor: 2, mode: 'nearest' });

/** x [B, C, H, W] with two channels more: each pixel's column and row, from −1 to 1. */
export function withCoordinates(x: Tensor): Tensor {
  const [rows = 0, , height = 1, width = 1] = x.shape;
  const ramp = new Float32Array(2 * height * width);
  for (let y = 0; y < height; y++)
    for (let column = 0; column < width; column++) {
      ramp[y * width + column] = width === 1 ? 0 : (2 * column) / (width - 1) - 1;
      ramp[height * width + y * width + column] = height === 1 ? 0 : (2 * y) / (height - 1) - 1;
    }
  const coordinates = tensor(ramp, { shape: [1, 2, height, width] }).expand(rows, 2, height, width);
  return cat([x, coordinates], 1);
}

/** The input of a conv that may read the pixel coordinates too. */
const placed = (x: Tensor, coordinates: boolean): Tensor => (coordinates ? withCoordinates(x) : x);
const extra = (coordinates: boolean): number => (coordinates ? 2 : 0);

interface UpBlock extends Module {
  forward(x: Tensor, condition: Tensor): Tensor;
}

class PlainUpBlock extends Module implements UpBlock {
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

class ResidualUpBlock extends Module implements UpBlock {
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
    const hidden = this.conv1.forward(placed(upsample(this.norm1.forward(x, condition).relu()), this.coordinates));
    const residual = this.conv2.forward(this.norm2.forward(hidden, condition).relu());
    // the shortcut's 1×1 conv runs before upsampling: the same result at a quarter of the cost
    return residual.add(upsample(this.shortcut.forward(x)));
  }
}

export type GeneratorBlock = 'plain' | 'residual';

export interface ConditionalGeneratorOptions {
  noiseDim: number;
  conditionDim: number;
  imageSize: number;
  channels: number;
  /** Channels at 4×4; halved at each upsampling, never below minChannels. */
  baseChannels?: number;
  minChannels?: number;
  block?: GeneratorBlock;
  /** Draw the last doubling by a sub-pixel convolution instead of an upsampling block. */
  subpixel?: boolean;
  /**
   * Read the condition as a grid of this side (conditionDim / grid² channels per cell, channel-major) and start
   * from it by a 3×3 conv, in place of a linear layer from the whole vector (no noise then): a spatial latent.
   */
  inputGrid?: number;
  /** Every conv after an upsampling, and the output conv, also read each pixel's coordinates (CoordConv). */
  coordinates?: boolean;
}

export class ConditionalGenerator extends Module {
  readonly noiseDim: number;
  readonly imageSize: number;
  private readonly baseChannels: number;
  private readonly grid: number;
  private readonly input: Linear | Conv2d;
  private readonly blocks: UpBlock[] = [];
  /** Residual blocks end un-normalised, so they get a final batch norm + ReLU before the output conv. */
  private readonly outputNorm: BatchNorm2d | undefined;
  private readonly output: Conv2d;
  private readonly subpixel: boolean;
  private readonly coordinates: boolean;

  constructor(options: ConditionalGeneratorOptions) {
    super();
    this.subpixel = options.subpixel ?? false;
    this.coordinates = options.coordinates ?? false;
    this.grid = options.inputGrid ?? 4;
    const steps = resolutionSteps(options.imageSize) - (this.subpixel ? 1 : 0) - Math.log2(this.grid / 4);
    if (options.inputGrid !== undefined) {
      const cells = this.grid * this.grid;
      if (!Number.isInteger(Math.log2(this.grid / 4)) || this.grid < 4 || steps < 0)
        throw new Error(`ConditionalGenerator: inputGrid ${this.grid} must be a power of two from 4 to the image size`);
      if (options.noiseDim !== 0 || options.conditionDim % cells !== 0)
        throw new Error(
          `ConditionalGenerator: a grid input takes no noise and a condition of a multiple of ${cells} values (got noise ${options.noiseDim}, condition ${options.conditionDim})`,
        );
    }
    this.noiseDim = options.noiseDim;
    this.imageSize = options.imageSize;
    this.baseChannels = options.baseChannels ?? 256;
    const minChannels = options.minChannels ?? 16;
    const residual = options.block === 'residual';
    const latent = options.noiseDim + options.conditionDim;
    // a grid is drawn locally: its blocks' normalisation reads a constant, not the whole latent
    const blockCondition = options.inputGrid === undefined ? latent : 1;
    this.input = this.registerModule(
      'input',
      options.inputGrid === undefined
        ? new Linear(latent, this.baseChannels * 16)
        : new Conv2d(latent / (this.grid * this.grid), this.baseChannels, 3, { padding: 1 }),
    );
    let channels = this.baseChannels;
    for (let i = 0; i < steps; i++) {
      const next = Math.max(minChannels, channels >> 1);
      const block = residual
        ? new ResidualUpBlock(channels, next, blockCondition, this.coordinates)
        : new PlainUpBlock(channels, next, blockCondition, this.coordinates);
      this.blocks.push(this.registerModule(`block${i}`, block));
      channels = next;
    }
    this.outputNorm = residual ? this.registerModule('outputNorm', new BatchNorm2d(channels)) : undefined;
    const outputChannels = options.channels * (this.subpixel ? 4 : 1);
    const reads = channels + extra(this.coordinates);
    this.output = this.registerModule('output', new Conv2d(reads, outputChannels, 3, { padding: 1 }));
  }

  /** noise [B, noiseDim], condition [B, conditionDim] → images [B, C, S, S] in [-1, 1]. */
  forward(noise: Tensor, condition: Tensor): Tensor {
    const latent = cat([noise, condition], 1);
    // a residual stack starts from the raw projection (its first block normalises); a plain one from its ReLU
    const { grid } = this;
    const rows = latent.shape[0] ?? 0;
    let x =
      this.input instanceof Linear
        ? this.input.forward(latent).reshape(-1, this.baseChannels, 4, 4)
        : this.input.forward(latent.reshape(rows, (latent.shape[1] ?? 0) / (grid * grid), grid, grid));
    if (!this.outputNorm) x = x.relu();
    const blockCondition = this.input instanceof Linear ? latent : ones([rows, 1]);
    for (const block of this.blocks) x = block.forward(x, blockCondition);
    if (this.outputNorm) x = this.outputNorm.forward(x).relu();
    const output = this.output.forward(placed(x, this.coordinates));
    return cropToSize((this.subpixel ? F.pixelShuffle(output, 2) : output).tanh(), this.imageSize);
  }
}
