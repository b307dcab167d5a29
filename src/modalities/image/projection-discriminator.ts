// Projection discriminator (Miyato & Koyama 2018) with spectral norm on every weight: stride-2
// convolutions down to 4×4, global sum pooling, score = linear(h) + <embed(condition), h>.
import { Conv2d, Linear, Module, spectralNorm } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
import { padToWorkingSize, resolutionSteps } from './working-size.js';

export interface ProjectionDiscriminatorOptions {
  imageSize: number;
  channels: number;
  conditionDim: number;
  /** Channels after the first downsampling; doubled each step up to maxChannels. */
  baseChannels?: number;
  maxChannels?: number;
  /** Adds a head that predicts which of N labels an image shows (AC-GAN; for captions, the words in it). */
  auxiliaryClasses?: number;
}

export class ProjectionDiscriminator extends Module {
  readonly featureCount: number;
  private readonly downs: Conv2d[] = [];
  private readonly top: Conv2d;
  private readonly score: Linear;
  private readonly projection: Linear;
  private readonly auxiliary: Linear | undefined;

  constructor(options: ProjectionDiscriminatorOptions) {
    super();
    const steps = resolutionSteps(options.imageSize);
    const maxChannels = options.maxChannels ?? 256;
    let inChannels = options.channels;
    let channels = options.baseChannels ?? 32;
    for (let i = 0; i < steps; i++) {
      this.downs.push(this.registerModule(`down${i}`, spectralNorm(new Conv2d(inChannels, channels, 4, { stride: 2, padding: 1 }))));
      inChannels = channels;
      channels = Math.min(maxChannels, channels * 2);
    }
    this.featureCount = inChannels;
    this.top = this.registerModule('top', spectralNorm(new Conv2d(inChannels, inChannels, 3, { padding: 1 })));
    this.score = this.registerModule('score', spectralNorm(new Linear(inChannels, 1)));
    this.projection = this.registerModule('projection', spectralNorm(new Linear(options.conditionDim, inChannels)));
    this.auxiliary = options.auxiliaryClasses ? this.registerModule('auxiliary', spectralNorm(new Linear(inChannels, options.auxiliaryClasses))) : undefined;
  }

  /** images [B, C, S, S], condition [B, conditionDim] → logits [B]. */
  forward(images: Tensor, condition: Tensor): Tensor {
    return this.forwardWithAuxiliary(images, condition).logits;
  }

  /** The realness logits [B] and, when the head exists, the auxiliary label logits [B, N]. */
  forwardWithAuxiliary(images: Tensor, condition: Tensor): { logits: Tensor; auxiliary: Tensor | undefined } {
    const pooled = this.features(images);
    return { logits: this.scoreFeatures(pooled, condition), auxiliary: this.auxiliary?.forward(pooled) };
  }

  /** Pooled features [B, F] of images [B, C, S, S]: what the score, the projection and the auxiliary head read. */
  features(images: Tensor): Tensor {
    let x = padToWorkingSize(images);
    for (const down of this.downs) x = down.forward(x).leakyRelu(0.2);
    return this.top.forward(x).leakyRelu(0.2).sum([2, 3]);
  }

  /** Realness logits [B] of pooled features under a condition; one image's features can be scored under several captions. */
  scoreFeatures(pooled: Tensor, condition: Tensor): Tensor {
    return this.score.forward(pooled).squeeze(1).add(this.projection.forward(condition).mul(pooled).sum(1));
  }

  /** Auxiliary label logits [B, N] of pooled features (requires auxiliaryClasses). */
  auxiliaryLogits(pooled: Tensor): Tensor {
    if (!this.auxiliary) throw new Error('ProjectionDiscriminator: built without auxiliaryClasses');
    return this.auxiliary.forward(pooled);
  }
}
