// Convolutional image encoder: stride-2 conv blocks (conv, batch norm, LeakyReLU) down to 4×4, then a
// linear layer to a feature vector. Shared by the VAE encoder, captioners and judges. With `grid`, it stops
// at a grid of that side and a 1×1 conv gives each cell its own few channels, flattened: a spatial latent,
// where what is drawn at a place is read from that place. With `depth` > 1, each resolution also has depth − 1
// residual 3×3 convs at its own size. With `colourPart`, it reads each pixel's colour part too, beside the
// pixels or beside a coarse grey (scripts/encoder-moments.ts measures how soon each learns a shape's geometry).
import { BatchNorm2d, Conv2d, GroupNorm, Linear, Module } from '../../nn/index.js';
import { F, type Tensor, cat } from '../../tensor/index.js';
import { padToWorkingSize, resolutionSteps } from './working-size.js';

export interface ConvEncoderOptions {
  imageSize: number;
  channels: number;
  outputDim: number;
  baseChannels?: number;
  maxChannels?: number;
  /**
   * 'batch' (default) or 'group': group norm has no running statistics, so a model behaves the same in
   * training and in evaluation — what a joint model's encoders need when they are read alone at inference.
   */
  normalization?: 'batch' | 'group';
  /** Stop at a grid of this side (a power of two ≥ 4) and end in a 1×1 conv to outputDim / grid² channels per cell. */
  grid?: number;
  /** Conv blocks per resolution (default 1): the first strides, the others refine at that size, residually. */
  depth?: number;
  /**
   * Also read each pixel's colour part (its value less its mean over the channels; 3+ channels): a grey texture
   * has none, so a coloured shape's outline stands out of it.
   */
  colourPart?: boolean;
  /**
   * With colourPart: the grey beside it is each cell of this side's average (one channel), in place of the pixels
   * themselves: the background's light or dark stays, the grey texture that slows learning a shape's geometry goes.
   */
  coarseGrey?: number;
}

export class ConvEncoder extends Module {
  readonly outputDim: number;
  private readonly colourPart: boolean;
  private readonly coarseGrey: number | undefined;
  private readonly convs: Conv2d[] = [];
  private readonly norms: (BatchNorm2d | GroupNorm)[] = [];
  /** Per resolution, its refining convs and their norms (empty at depth 1). */
  private readonly refiners: { conv: Conv2d; norm: BatchNorm2d | GroupNorm }[][] = [];
  private readonly output: Linear | Conv2d;

  constructor(options: ConvEncoderOptions) {
    super();
    const grid = options.grid ?? 4;
    const gridSteps = Math.log2(grid / 4);
    const steps = resolutionSteps(options.imageSize) - gridSteps;
    if (!Number.isInteger(gridSteps) || gridSteps < 0 || steps < 1)
      throw new Error(
        `ConvEncoder: grid ${grid} must be a power of two from 4 to half the working size of ${options.imageSize}-pixel images`,
      );
    if (options.grid !== undefined && options.outputDim % (grid * grid) !== 0)
      throw new Error(`ConvEncoder: outputDim ${options.outputDim} must be a multiple of grid² (${grid * grid})`);
    const depth = options.depth ?? 1;
    if (!Number.isInteger(depth) || depth < 1 || depth > 4)
      throw new Error(`ConvEncoder: depth ${depth} must be a whole number from 1 to 4`);
    const maxChannels = options.maxChannels ?? 256;
    const normOf = (width: number): BatchNorm2d | GroupNorm =>
      options.normalization === 'group' ? new GroupNorm(Math.min(8, width), width) : new BatchNorm2d(width);
    if (options.colourPart && options.channels < 3)
      throw new Error(`ConvEncoder: colourPart needs colour pictures, and these have ${options.channels} channel`);
    if (
      options.coarseGrey !== undefined &&
      !(options.colourPart && Number.isInteger(options.coarseGrey) && options.coarseGrey >= 2)
    )
      throw new Error(`ConvEncoder: coarseGrey (${options.coarseGrey}) is a cell side of 2 or more, beside colourPart`);
    this.colourPart = options.colourPart ?? false;
    this.coarseGrey = options.coarseGrey;
    const read = this.coarseGrey === undefined ? options.channels : 1;
    let inChannels = this.colourPart ? options.channels + read : options.channels;
    let channels = options.baseChannels ?? 32;
    for (let i = 0; i < steps; i++) {
      this.convs.push(this.registerModule(`conv${i}`, new Conv2d(inChannels, channels, 4, { stride: 2, padding: 1 })));
      this.norms.push(this.registerModule(`norm${i}`, normOf(channels)));
      const refiners = [];
      for (let extra = 1; extra < depth; extra++)
        refiners.push({
          conv: this.registerModule(`refine${i}_${extra}`, new Conv2d(channels, channels, 3, { padding: 1 })),
          norm: this.registerModule(`refineNorm${i}_${extra}`, normOf(channels)),
        });
      this.refiners.push(refiners);
      inChannels = channels;
      channels = Math.min(maxChannels, channels * 2);
    }
    this.outputDim = options.outputDim;
    this.output = this.registerModule(
      'output',
      options.grid === undefined
        ? new Linear(inChannels * 16, options.outputDim)
        : new Conv2d(inChannels, options.outputDim / (grid * grid), 1),
    );
  }

  /** Pictures [B, C, H, W] → their colour part beside the pictures, or beside their coarse grey. */
  private withColourPart(images: Tensor): Tensor {
    const grey = images.mean(1, true);
    const colour = images.sub(grey);
    if (this.coarseGrey === undefined) return cat([images, colour], 1);
    const [, , height = 1, width = 1] = images.shape;
    const cells = F.avgPool2d(grey, this.coarseGrey);
    return cat([colour, F.interpolate(cells, { size: [height, width], mode: 'nearest' })], 1);
  }

  /** images [B, C, S, S] → features [B, outputDim] (with a grid: cells [B, c, G, G] flattened channel-major). */
  forward(images: Tensor): Tensor {
    let x = padToWorkingSize(this.colourPart ? this.withColourPart(images) : images);
    this.convs.forEach((conv, i) => {
      x = (this.norms[i] as BatchNorm2d | GroupNorm).forward(conv.forward(x)).leakyRelu(0.2);
      for (const refiner of this.refiners[i] ?? [])
        x = x.add(refiner.norm.forward(refiner.conv.forward(x)).leakyRelu(0.2));
    });
    return this.output instanceof Linear ? this.output.forward(x.flatten(1)) : this.output.forward(x).flatten(1);
  }
}
