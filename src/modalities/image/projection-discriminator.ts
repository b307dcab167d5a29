// Projection discriminator (Miyato & Koyama 2018) with spectral norm on every weight: stride-2
// convolutions down to 4×4, global sum pooling, score = linear(h) + <embed(condition), h>.
import { Conv2d, Linear, Module, spectralNorm } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';

export interface ProjectionDiscriminatorOptions {
  imageSize: number;
  channels: number;
  conditionDim: number;
  /** Channels after the first downsampling; doubled each step up to maxChannels. */
  baseChannels?: number;
  maxChannels?: number;
}

export class ProjectionDiscriminator extends Module {
  readonly features: number;
  private readonly downs: Conv2d[] = [];
  private readonly top: Conv2d;
  private readonly score: Linear;
  private readonly projection: Linear;

  constructor(options: ProjectionDiscriminatorOptions) {
    super();
    const steps = Math.log2(options.imageSize / 4);
    if (!Number.isInteger(steps) || steps < 1) throw new Error(`ProjectionDiscriminator: imageSize must be a power of two ≥ 8, got ${options.imageSize}`);
    const maxChannels = options.maxChannels ?? 256;
    let inChannels = options.channels;
    let channels = options.baseChannels ?? 32;
    for (let i = 0; i < steps; i++) {
      this.downs.push(this.registerModule(`down${i}`, spectralNorm(new Conv2d(inChannels, channels, 4, { stride: 2, padding: 1 }))));
      inChannels = channels;
      channels = Math.min(maxChannels, channels * 2);
    }
    this.features = inChannels;
    this.top = this.registerModule('top', spectralNorm(new Conv2d(inChannels, inChannels, 3, { padding: 1 })));
    this.score = this.registerModule('score', spectralNorm(new Linear(inChannels, 1)));
    this.projection = this.registerModule('projection', spectralNorm(new Linear(options.conditionDim, inChannels)));
  }

  /** images [B, C, S, S], condition [B, conditionDim] → logits [B]. */
  forward(images: Tensor, condition: Tensor): Tensor {
    let x = images;
    for (const down of this.downs) x = down.forward(x).leakyRelu(0.2);
    const pooled = this.top.forward(x).leakyRelu(0.2).sum([2, 3]);
    const unconditional = this.score.forward(pooled).squeeze(1);
    return unconditional.add(this.projection.forward(condition).mul(pooled).sum(1));
  }
}
