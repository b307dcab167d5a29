// Conditional image generator: noise + condition → linear → 4×4 feature map → upsampling blocks
// (nearest ×2, 3×3 conv, batch norm whose scale/shift come from the condition, ReLU) → 3×3 conv → tanh.
// Conditional normalisation at every resolution is what lets small GANs follow the prompt.
import { BatchNorm2d, Conv2d, Linear, Module } from '../../nn/index.js';
import { type Tensor, F, cat } from '../../tensor/index.js';
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

class UpBlock extends Module {
  private readonly conv: Conv2d;
  private readonly norm: ConditionalBatchNorm;

  constructor(inChannels: number, outChannels: number, conditionDim: number) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(inChannels, outChannels, 3, { padding: 1 }));
    this.norm = this.registerModule('norm', new ConditionalBatchNorm(outChannels, conditionDim));
  }

  forward(x: Tensor, condition: Tensor): Tensor {
    return this.norm.forward(this.conv.forward(F.interpolate(x, { scaleFactor: 2, mode: 'nearest' })), condition).relu();
  }
}

export interface ConditionalGeneratorOptions {
  noiseDim: number;
  conditionDim: number;
  imageSize: number;
  channels: number;
  /** Channels at 4×4; halved at each upsampling, never below minChannels. */
  baseChannels?: number;
  minChannels?: number;
}

export class ConditionalGenerator extends Module {
  readonly noiseDim: number;
  readonly imageSize: number;
  private readonly baseChannels: number;
  private readonly input: Linear;
  private readonly blocks: UpBlock[] = [];
  private readonly output: Conv2d;

  constructor(options: ConditionalGeneratorOptions) {
    super();
    const steps = resolutionSteps(options.imageSize);
    this.noiseDim = options.noiseDim;
    this.imageSize = options.imageSize;
    this.baseChannels = options.baseChannels ?? 256;
    const minChannels = options.minChannels ?? 16;
    const latent = options.noiseDim + options.conditionDim;
    this.input = this.registerModule('input', new Linear(latent, this.baseChannels * 16));
    let channels = this.baseChannels;
    for (let i = 0; i < steps; i++) {
      const next = Math.max(minChannels, channels >> 1);
      this.blocks.push(this.registerModule(`block${i}`, new UpBlock(channels, next, latent)));
      channels = next;
    }
    this.output = this.registerModule('output', new Conv2d(channels, options.channels, 3, { padding: 1 }));
  }

  /** noise [B, noiseDim], condition [B, conditionDim] → images [B, C, S, S] in [-1, 1]. */
  forward(noise: Tensor, condition: Tensor): Tensor {
    const latent = cat([noise, condition], 1);
    let x = this.input.forward(latent).relu().reshape(-1, this.baseChannels, 4, 4);
    for (const block of this.blocks) x = block.forward(x, latent);
    return cropToSize(this.output.forward(x).tanh(), this.imageSize);
  }
}
