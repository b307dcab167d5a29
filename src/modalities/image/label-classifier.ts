// A small multi-label image classifier: stride-2 conv blocks (3×3 conv, batch norm, ReLU) down to 4×4, the
// map flattened (not pooled, so it can tell where things are: captions name quadrants) → linear → one logit
// per label. The text→image GAN trains one on real images to say which caption words an image shows and
// scores its generator's images with it (an AC-GAN classifier kept apart from the critic, which learns
// those words many times faster than a spectral-norm critic's head).
import { BatchNorm2d, Conv2d, Linear, Module, ReLU, Sequential } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
import { padToWorkingSize, resolutionSteps } from './working-size.js';

export interface LabelClassifierOptions {
  imageSize: number;
  channels: number;
  labels: number;
  /** Channels of the first block; doubled per block up to 4×. */
  baseChannels?: number;
}

const block = (inChannels: number, outChannels: number): Sequential =>
  new Sequential(new Conv2d(inChannels, outChannels, 3, { stride: 2, padding: 1, bias: false }), new BatchNorm2d(outChannels), new ReLU());

export class LabelClassifier extends Module {
  private readonly blocks: Sequential;
  private readonly head: Linear;

  constructor(options: LabelClassifierOptions) {
    super();
    const base = options.baseChannels ?? 32;
    const layers: Sequential[] = [];
    let inChannels = options.channels;
    for (let i = 0; i < resolutionSteps(options.imageSize); i++) {
      const channels = base * Math.min(4, 2 ** i);
      layers.push(block(inChannels, channels));
      inChannels = channels;
    }
    this.blocks = this.registerModule('blocks', new Sequential(...layers));
    this.head = this.registerModule('head', new Linear(inChannels * 16, options.labels));
  }

  /** images [B, C, S, S] in [-1, 1] → label logits [B, labels]. */
  forward(images: Tensor): Tensor {
    return this.head.forward(this.blocks.forward(padToWorkingSize(images)).flatten(1));
  }
}
