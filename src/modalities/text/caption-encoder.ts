// Caption encoder: token embedding + bidirectional GRU, mean-pooled over the real (unpadded) tokens,
// projected to a condition vector. Mean pooling keeps both directions clean of padding.
import { Embedding, GRU, Linear, Module } from '../../nn/index.js';
import { type Tensor, arange } from '../../tensor/index.js';

export interface CaptionEncoderOptions {
  vocabularySize: number;
  embeddingDim?: number;
  hiddenSize?: number;
  outputDim?: number;
  /** Token id of padding (embedding row kept at zero). */
  paddingId?: number;
}

export class CaptionEncoder extends Module {
  readonly outputDim: number;
  private readonly embedding: Embedding;
  private readonly gru: GRU;
  private readonly projection: Linear;

  constructor(options: CaptionEncoderOptions) {
    super();
    const embeddingDim = options.embeddingDim ?? 64;
    const hiddenSize = options.hiddenSize ?? 128;
    this.outputDim = options.outputDim ?? 128;
    this.embedding = this.registerModule(
      'embedding',
      new Embedding(options.vocabularySize, embeddingDim, { paddingIdx: options.paddingId ?? 0 }),
    );
    this.gru = this.registerModule('gru', new GRU(embeddingDim, hiddenSize, { batchFirst: true, bidirectional: true }));
    this.projection = this.registerModule('projection', new Linear(2 * hiddenSize, this.outputDim));
  }

  /** tokens int64 [B, T], lengths int64 [B] → [B, outputDim]. */
  forward(tokens: Tensor, lengths: Tensor): Tensor {
    if (tokens.rank !== 2)
      throw new Error(`CaptionEncoder expects tokens [batch, length], got [${tokens.shape.join(', ')}]`);
    const length = tokens.shape[1] ?? 0;
    const [outputs] = this.gru.forward(this.embedding.forward(tokens));
    const mask = arange(length).unsqueeze(0).lt(lengths.unsqueeze(1)).unsqueeze(2).float();
    const pooled = outputs.mul(mask).sum(1).div(lengths.unsqueeze(1).float().clamp(1));
    return this.projection.forward(pooled);
  }
}
