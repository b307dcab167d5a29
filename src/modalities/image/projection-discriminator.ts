// Projection discriminator (Miyato & Koyama 2018) with spectral norm on every weight: stride-2
// convolutions down to 4×4, global sum pooling, score = linear(h) + <embed(condition), h>.
// Optionally a minibatch-standard-deviation channel at 4×4 (ProGAN): the critic sees how varied a group of
// images is, so a generator that ignores its noise and draws one picture per caption is caught.
import { Conv2d, Linear, Module, spectralNorm } from '../../nn/index.js';
import { type Tensor, cat } from '../../tensor/index.js';
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
  /** Appends the minibatch standard deviation over groups of this many images (0 = off). */
  minibatchStdGroup?: number;
}

/** The largest group size ≤ wanted that divides batch, so groups never straddle two halves of a batch. */
export function groupSizeFor(batch: number, wanted: number): number {
  for (let group = Math.min(wanted, batch); group > 1; group--) if (batch % group === 0) return group;
  return 1;
}

/** x [B, C, H, W] → [B, C+1, H, W]: the mean feature standard deviation within each group of consecutive images. */
function appendGroupStd(x: Tensor, group: number): Tensor {
  const [batch = 0, , height = 0, width = 0] = x.shape;
  if (group <= 1) return cat([x, x.narrow(1, 0, 1).mul(0)], 1);
  const spread = x
    .reshape(batch / group, group, -1)
    .var(1, true, 0)
    .add(1e-8)
    .sqrt()
    .mean(2, true);
  const channel = spread.expand(batch / group, group, height * width).reshape(batch, 1, height, width);
  return cat([x, channel], 1);
}

export class ProjectionDiscriminator extends Module {
  readonly featureCount: number;
  private readonly downs: Conv2d[] = [];
  private readonly top: Conv2d;
  private readonly score: Linear;
  private readonly projection: Linear;
  private readonly auxiliary: Linear | undefined;
  private readonly stdGroup: number;

  constructor(options: ProjectionDiscriminatorOptions) {
    super();
    const steps = resolutionSteps(options.imageSize);
    const maxChannels = options.maxChannels ?? 256;
    let inChannels = options.channels;
    let channels = options.baseChannels ?? 32;
    for (let i = 0; i < steps; i++) {
      this.downs.push(
        this.registerModule(`down${i}`, spectralNorm(new Conv2d(inChannels, channels, 4, { stride: 2, padding: 1 }))),
      );
      inChannels = channels;
      channels = Math.min(maxChannels, channels * 2);
    }
    this.featureCount = inChannels;
    this.stdGroup = options.minibatchStdGroup ?? 0;
    const topInput = inChannels + (this.stdGroup > 0 ? 1 : 0);
    this.top = this.registerModule('top', spectralNorm(new Conv2d(topInput, inChannels, 3, { padding: 1 })));
    this.score = this.registerModule('score', spectralNorm(new Linear(inChannels, 1)));
    this.projection = this.registerModule('projection', spectralNorm(new Linear(options.conditionDim, inChannels)));
    this.auxiliary = options.auxiliaryClasses
      ? this.registerModule('auxiliary', spectralNorm(new Linear(inChannels, options.auxiliaryClasses)))
      : undefined;
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

  /**
   * Pooled features [B, F] of images [B, C, S, S]: what the score, the projection and the auxiliary head read.
   * With the minibatch-std channel, consecutive groups of `group` images are compared: pass a group size that
   * divides the number of real images when reals and fakes share one call.
   */
  features(images: Tensor, group = groupSizeFor(images.shape[0] ?? 1, this.stdGroup)): Tensor {
    let x = padToWorkingSize(images);
    for (const down of this.downs) x = down.forward(x).leakyRelu(0.2);
    if (this.stdGroup > 0) x = appendGroupStd(x, group);
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
