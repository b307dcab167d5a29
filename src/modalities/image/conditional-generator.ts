// Conditional image generator: noise + condition → linear → 4×4 feature map → upsampling blocks → 3×3 conv → tanh.
// With `subpixel`, the last doubling is no block: the output conv runs at half size with 4× the channels,
// rearranged into 2×2 pixels (sub-pixel convolution, Shi et al. 2016); the full-size block costs as much as all
// the others together.
// Two block kinds: `plain` (nearest ×2, 3×3 conv, conditional batch norm, ReLU; DCGAN-sized) and `residual`
// (BigGAN's up-block: CBN, ReLU, ×2, conv, CBN, ReLU, conv, plus a 1×1 shortcut), which draws crisper edges
// for the same step budget. Conditional normalisation at every resolution is what lets small GANs follow the prompt.
// With `coordinates`, every conv after an upsampling also reads each pixel's x and y (CoordConv).
import { BatchNorm2d, Conv2d, Linear, Module } from '../../nn/index.js';
import { type Tensor, F, cat, ones } from '../../tensor/index.js';
import { BroadcastStart } from './broadcast-start.js';
import { PlainUpBlock, ResidualUpBlock, type UpBlock, extra, placed } from './generator-blocks.js';
import { cropToSize, resolutionSteps } from './working-size.js';

export { ConditionalBatchNorm, withCoordinates } from './generator-blocks.js';

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
  /**
   * Start from the latent broadcast over a grid of this side with each cell's coordinates, refined by
   * BROADCAST_BLOCKS residual blocks at that size (broadcast-start.ts), in place of a linear map to 4×4; the
   * channels there are `baseChannels`.
   */
  broadcast?: number;
}

/** Residual blocks at the broadcast grid's own size before the first doubling. */
export const BROADCAST_BLOCKS = 2;

/** The fewest channels the generator halves down to when `minChannels` is not given. */
export const DEFAULT_MIN_CHANNELS = 16;

export class ConditionalGenerator extends Module {
  readonly noiseDim: number;
  readonly imageSize: number;
  private readonly baseChannels: number;
  private readonly grid: number;
  private readonly input: Linear | Conv2d | BroadcastStart;
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
    if (options.broadcast !== undefined && options.inputGrid !== undefined)
      throw new Error('ConditionalGenerator: broadcast and inputGrid both choose where drawing starts; give one');
    this.grid = options.inputGrid ?? options.broadcast ?? 4;
    const steps = resolutionSteps(options.imageSize) - (this.subpixel ? 1 : 0) - Math.log2(this.grid / 4);
    if (options.broadcast !== undefined && (!Number.isInteger(Math.log2(this.grid / 4)) || this.grid < 4 || steps < 0))
      throw new Error(
        `ConditionalGenerator: broadcast ${this.grid} must be a power of two from 4 to ${options.imageSize}${this.subpixel ? ' / 2 (sub-pixel)' : ''}`,
      );
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
    const minChannels = options.minChannels ?? DEFAULT_MIN_CHANNELS;
    const residual = options.block === 'residual';
    const latent = options.noiseDim + options.conditionDim;
    // a grid is drawn locally: its blocks' normalisation reads a constant, not the whole latent
    const blockCondition = options.inputGrid === undefined ? latent : 1;
    this.input = this.registerModule(
      'input',
      options.broadcast !== undefined
        ? new BroadcastStart(latent, this.baseChannels, this.grid, BROADCAST_BLOCKS, this.coordinates)
        : options.inputGrid === undefined
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
        : this.input instanceof BroadcastStart
          ? this.input.forward(latent)
          : this.input.forward(latent.reshape(rows, (latent.shape[1] ?? 0) / (grid * grid), grid, grid));
    if (!this.outputNorm) x = x.relu();
    const blockCondition = this.input instanceof Conv2d ? ones([rows, 1]) : latent;
    for (const block of this.blocks) x = block.forward(x, blockCondition);
    if (this.outputNorm) x = this.outputNorm.forward(x).relu();
    const output = this.output.forward(placed(x, this.coordinates));
    return cropToSize((this.subpixel ? F.pixelShuffle(output, 2) : output).tanh(), this.imageSize);
  }
}
