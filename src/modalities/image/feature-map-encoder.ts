// Convolutional image encoder that keeps the spatial map: stride-2 conv blocks (conv, batch norm, ReLU)
// down to an 8×8 grid, one more conv block, plus a learned embedding per cell (so attention knows where
// a cell is: position is something a caption says), flattened to [B, cells, features].
import { BatchNorm2d, Conv2d, Module, Sequential, ReLU, normal_ } from '../../nn/index.js';
import { type Tensor, empty, tidy } from '../../tensor/index.js';

export interface FeatureMapEncoderOptions {
  /** Square input side; a power of two ≥ 16. */
  imageSize: number;
  channels: number;
  /** Channels of the first block; doubled per block up to featureDim. */
  baseChannels?: number;
  /** D of the output feature map. */
  featureDim?: number;
  /** Side of the output grid (default 8). */
  gridSize?: number;
  /** Conv blocks per resolution (default 1): the first strides, the others refine at the same size. */
  depth?: number;
}

const block = (inChannels: number, outChannels: number, stride: number): Sequential =>
  new Sequential(
    new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false }),
    new BatchNorm2d(outChannels),
    new ReLU(),
  );

export class FeatureMapEncoder extends Module {
  readonly featureDim: number;
  readonly gridSize: number;
  readonly imageSize: number;
  private readonly blocks: Sequential;
  private readonly position: Tensor;

  constructor(options: FeatureMapEncoderOptions) {
    super();
    this.imageSize = options.imageSize;
    this.gridSize = options.gridSize ?? 8;
    this.featureDim = options.featureDim ?? 128;
    const downsamplings = Math.log2(options.imageSize / this.gridSize);
    if (!Number.isInteger(downsamplings) || downsamplings < 1) {
      throw new Error(
        `FeatureMapEncoder: imageSize (${options.imageSize}) must be the grid size (${this.gridSize}) times a power of two ≥ 2`,
      );
    }
    const layers: Sequential[] = [];
    let inChannels = options.channels;
    let channels = options.baseChannels ?? 32;
    const depth = options.depth ?? 1;
    for (let i = 0; i < downsamplings; i++) {
      layers.push(block(inChannels, channels, 2));
      for (let extra = 1; extra < depth; extra++) layers.push(block(channels, channels, 1));
      inChannels = channels;
      channels = Math.min(this.featureDim, channels * 2);
    }
    layers.push(block(inChannels, this.featureDim, 1));
    this.blocks = this.registerModule('blocks', new Sequential(...layers));
    this.position = this.registerParameter(
      'position',
      normal_(empty([1, this.featureDim, this.gridSize, this.gridSize]), 0, 0.1),
    );
  }

  /** images [B, C, S, S] → features [B, S'², D]. */
  forward(images: Tensor): Tensor {
    if (images.rank !== 4 || images.shape[2] !== this.imageSize || images.shape[3] !== this.imageSize) {
      throw new Error(
        `FeatureMapEncoder expects images [batch, channels, ${this.imageSize}, ${this.imageSize}], got [${images.shape.join(', ')}]`,
      );
    }
    return tidy(() => this.blocks.forward(images).add(this.position).flatten(2).transpose(1, 2).contiguous());
  }
}
