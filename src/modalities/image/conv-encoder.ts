// Convolutional image encoder: stride-2 conv blocks (conv, batch norm, LeakyReLU) down to 4×4, then a
// linear layer to a feature vector. Shared by the VAE encoder, captioners and judges.
import { BatchNorm2d, Conv2d, GroupNorm, Linear, Module } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
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
}

export class ConvEncoder extends Module {
  readonly outputDim: number;
  private readonly convs: Conv2d[] = [];
  private readonly norms: (BatchNorm2d | GroupNorm)[] = [];
  private readonly output: Linear;

  constructor(options: ConvEncoderOptions) {
    super();
    const steps = resolutionSteps(options.imageSize);
    const maxChannels = options.maxChannels ?? 256;
    let inChannels = options.channels;
    let channels = options.baseChannels ?? 32;
    for (let i = 0; i < steps; i++) {
      this.convs.push(this.registerModule(`conv${i}`, new Conv2d(inChannels, channels, 4, { stride: 2, padding: 1 })));
      const norm =
        options.normalization === 'group' ? new GroupNorm(Math.min(8, channels), channels) : new BatchNorm2d(channels);
      this.norms.push(this.registerModule(`norm${i}`, norm));
      inChannels = channels;
      channels = Math.min(maxChannels, channels * 2);
    }
    this.outputDim = options.outputDim;
    this.output = this.registerModule('output', new Linear(inChannels * 16, options.outputDim));
  }

  /** images [B, C, S, S] → features [B, outputDim]. */
  forward(images: Tensor): Tensor {
    let x = padToWorkingSize(images);
    this.convs.forEach((conv, i) => {
      x = (this.norms[i] as BatchNorm2d | GroupNorm).forward(conv.forward(x)).leakyRelu(0.2);
    });
    return this.output.forward(x.flatten(1));
  }
}
