// Encoder from log-mel features to a feature sequence for a text decoder: stride-2 conv blocks over
// (mel, time) shrink both axes, the remaining mel bins are folded into channels, and a bidirectional
// GRU over time gives every frame its context (and its place in the utterance) → [B, frames', D].
import { BatchNorm2d, Conv2d, GRU, Linear, Module, ReLU, Sequential } from '../../nn/index.js';
import { type Tensor, tidy } from '../../tensor/index.js';

export interface SpectrogramEncoderOptions {
  mels: number;
  /** Channels of the first block, doubled per block (default 32). */
  baseChannels?: number;
  /** Stride-2 blocks (default 3: mel and time shrink 8×). */
  blocks?: number;
  /** D of the output sequence (even; default 128). */
  featureDim?: number;
}

export class SpectrogramEncoder extends Module {
  readonly featureDim: number;
  private readonly convs: Sequential;
  private readonly projection: Linear;
  private readonly gru: GRU;

  constructor(options: SpectrogramEncoderOptions) {
    super();
    this.featureDim = options.featureDim ?? 128;
    if (this.featureDim % 2 !== 0)
      throw new Error(`SpectrogramEncoder: featureDim must be even (two GRU directions), got ${this.featureDim}`);
    const blocks = options.blocks ?? 3;
    const layers: Sequential[] = [];
    let inChannels = 1;
    let channels = options.baseChannels ?? 32;
    let mels = options.mels;
    for (let i = 0; i < blocks; i++) {
      layers.push(
        new Sequential(
          new Conv2d(inChannels, channels, 3, { stride: 2, padding: 1, bias: false }),
          new BatchNorm2d(channels),
          new ReLU(),
        ),
      );
      inChannels = channels;
      channels *= 2;
      mels = Math.floor((mels - 1) / 2) + 1;
    }
    this.convs = this.registerModule('convs', new Sequential(...layers));
    this.projection = this.registerModule('projection', new Linear(inChannels * mels, this.featureDim));
    this.gru = this.registerModule(
      'gru',
      new GRU(this.featureDim, this.featureDim / 2, { batchFirst: true, bidirectional: true }),
    );
  }

  /** features [B, mels, frames] → [B, frames', D]. */
  forward(features: Tensor): Tensor {
    if (features.rank !== 3)
      throw new Error(
        `SpectrogramEncoder expects log-mel features [batch, mels, frames], got [${features.shape.join(', ')}]`,
      );
    return tidy(() => {
      const map = this.convs.forward(features.unsqueeze(1));
      const [batch, channels, mels, frames] = map.shape as [number, number, number, number];
      const sequence = map.permute(0, 3, 1, 2).reshape(batch, frames, channels * mels);
      const [outputs] = this.gru.forward(this.projection.forward(sequence).relu());
      return outputs;
    });
  }
}
