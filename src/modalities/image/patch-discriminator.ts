// PatchGAN critic (Isola et al. 2017; the critic of the latent-diffusion autoencoders, Esser et al. 2021):
// strided 4×4 convolutions end in one logit per overlapping patch, so it judges local detail (edges,
// corners) rather than the whole picture. Spectral norm on every weight keeps it stable without batch norm.
import { Conv2d, Module, spectralNorm } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';

export interface PatchDiscriminatorOptions {
  channels: number;
  /** Channels after the first convolution; doubled per further halving. */
  baseChannels?: number;
  /** Halvings of the resolution: each patch logit sees about 6·2^halvings pixels across. */
  halvings?: number;
}

export class PatchDiscriminator extends Module {
  private readonly layers: Conv2d[] = [];

  constructor(options: PatchDiscriminatorOptions) {
    super();
    const halvings = options.halvings ?? 2;
    if (!Number.isInteger(halvings) || halvings < 1)
      throw new Error(`PatchDiscriminator: halvings must be a positive integer, got ${halvings}`);
    let inChannels = options.channels;
    let channels = options.baseChannels ?? 32;
    const add = (outChannels: number, stride: number): void => {
      const conv = spectralNorm(new Conv2d(inChannels, outChannels, 4, { stride, padding: 1 }));
      this.layers.push(this.registerModule(`layer${this.layers.length}`, conv));
      inChannels = outChannels;
    };
    for (let index = 0; index < halvings; index++) {
      add(channels, 2);
      channels *= 2;
    }
    add(channels, 1);
    add(1, 1);
  }

  /** Pictures [B, C, H, W] → patch logits [B, 1, h, w]. */
  forward(pictures: Tensor): Tensor {
    let x = pictures;
    this.layers.forEach((layer, index) => {
      x = layer.forward(x);
      if (index < this.layers.length - 1) x = x.leakyRelu(0.2);
    });
    return x;
  }
}
