// A small multi-label image classifier: a conv stem (stride 2 on 64-px images), then conv blocks (3×3 conv,
// batch norm, ReLU, 2×2 max pool) down to 4×4, the map flattened (not pooled, so it can tell where things
// are: captions name quadrants) → a hidden layer (ReLU) → one logit per label. The hidden layer matters: a
// linear read-out of the flattened map cannot say "a heart, wherever it is"; with it, shapes are learned
// in a few hundred steps instead of not at all. The text→image GAN trains one on real
// images to say which caption words an image shows and scores its generator's images with it (an AC-GAN
// classifier kept apart from the critic: a spectral-norm critic's head learns shapes far more slowly).
import { BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential, type UnaryModule } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
import { padToWorkingSize, workingSize } from './working-size.js';

export interface LabelClassifierOptions {
  imageSize: number;
  channels: number;
  labels: number;
  /** Channels of the stem; doubled per block up to 8×. */
  baseChannels?: number;
  /** Width of the hidden layer between the flattened map and the logits. */
  hiddenSize?: number;
}

const convolution = (inChannels: number, outChannels: number, stride: number): UnaryModule[] => [
  new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false }),
  new BatchNorm2d(outChannels),
  new ReLU(),
];

export class LabelClassifier extends Module {
  private readonly layers: Sequential;
  private readonly hidden: Linear;
  private readonly head: Linear;

  constructor(options: LabelClassifierOptions) {
    super();
    const base = options.baseChannels ?? 16;
    let side = workingSize(options.imageSize);
    // max pooling keeps the strongest edge response wherever a small rotated shape falls
    const stemStride = side > 32 ? 2 : 1;
    const layers: UnaryModule[] = convolution(options.channels, base, stemStride);
    side /= stemStride;
    let channels = base;
    while (side > 4) {
      const next = Math.min(base * 8, channels * 2);
      layers.push(...convolution(channels, next, 1), new MaxPool2d(2));
      channels = next;
      side /= 2;
    }
    this.layers = this.registerModule('layers', new Sequential(...layers));
    const hiddenSize = options.hiddenSize ?? 128;
    this.hidden = this.registerModule('hidden', new Linear(channels * 16, hiddenSize));
    this.head = this.registerModule('head', new Linear(hiddenSize, options.labels));
  }

  /** images [B, C, S, S] in [-1, 1] → label logits [B, labels]. */
  forward(images: Tensor): Tensor {
    return this.head.forward(this.hidden.forward(this.layers.forward(padToWorkingSize(images)).flatten(1)).relu());
  }
}
