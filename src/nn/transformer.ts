// Transformer encoder and decoder layers as torch.nn.TransformerEncoderLayer / TransformerDecoderLayer:
// same submodule names and registration (so init draws) order — self_attn, multihead_attn, linear1,
// dropout, linear2, norm1..3, dropout1..3 — post-norm by default, pre-norm with normFirst.
import { type Tensor, tidy } from '../tensor/index.js';
import { MultiheadAttention } from './attention.js';
import { Dropout } from './activation.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { LayerNorm } from './norm.js';

export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before attention and feed-forward): steadier training of deep stacks. */
  normFirst?: boolean;
  layerNormEps?: number;
}

export interface EncoderMasks {
  /** [length, length] (e.g. causalMask) or [batch x heads, length, length]; bool true = masked, or float added. */
  mask?: Tensor | null;
  /** [batch, length]; true = padding. */
  keyPaddingMask?: Tensor | null;
}
export interface DecoderMasks extends EncoderMasks {
  memoryMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
}

abstract class TransformerLayerBase extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';
  /** Decoder only: cross-attention over the memory, its norm and dropout. */
  protected readonly crossAttn: MultiheadAttention | null;
  protected readonly norm3: LayerNorm | null;
  protected readonly dropout3: Dropout | null;

  protected constructor(
    readonly dModel: number,
    readonly heads: number,
    cross: boolean,
    options: TransformerLayerOptions,
  ) {
    super();
    const p = options.dropout ?? 0.1;
    const feedforward = options.dimFeedforward ?? 2048;
    const eps = options.layerNormEps ?? 1e-5;
    const batchFirst = options.batchFirst ?? false;
    this.normFirst = options.normFirst ?? false;
    this.activation = options.activation ?? 'relu';
    if (this.activation !== 'relu' && this.activation !== 'gelu') {
      throw new Error(
        `${this.constructor.name}: activation must be 'relu' or 'gelu', got "${String(this.activation)}"`,
      );
    }
    this.selfAttn = this.registerModule('self_attn', new MultiheadAttention(dModel, heads, { dropout: p, batchFirst }));
    this.crossAttn = cross
      ? this.registerModule('multihead_attn', new MultiheadAttention(dModel, heads, { dropout: p, batchFirst }))
      : null;
    this.linear1 = this.registerModule('linear1', new Linear(dModel, feedforward));
    this.dropout = this.registerModule('dropout', new Dropout(p));
    this.linear2 = this.registerModule('linear2', new Linear(feedforward, dModel));
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel, { eps }));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dModel, { eps }));
    this.norm3 = cross ? this.registerModule('norm3', new LayerNorm(dModel, { eps })) : null;
    this.dropout1 = this.registerModule('dropout1', new Dropout(p));
    this.dropout2 = this.registerModule('dropout2', new Dropout(p));
    this.dropout3 = cross ? this.registerModule('dropout3', new Dropout(p)) : null;
  }

  override describe(): string {
    return `${this.constructor.name}(${this.dModel}, ${this.heads} heads)`;
  }

  protected selfAttentionBlock(x: Tensor, masks: EncoderMasks): Tensor {
    return this.dropout1.forward(
      this.selfAttn.forward(x, x, x, { attnMask: masks.mask, keyPaddingMask: masks.keyPaddingMask }),
    );
  }

  protected feedForwardBlock(x: Tensor, dropout: Dropout): Tensor {
    const hidden = this.linear1.forward(x);
    const activated = this.activation === 'relu' ? hidden.relu() : hidden.gelu();
    return dropout.forward(this.linear2.forward(this.dropout.forward(activated)));
  }
}

export class TransformerEncoderLayer extends TransformerLayerBase {
  constructor(dModel: number, heads: number, options: TransformerLayerOptions = {}) {
    super(dModel, heads, false, options);
  }

  /** x [length, batch, dModel] (batchFirst: [batch, length, dModel]). */
  forward(x: Tensor, masks: EncoderMasks = {}): Tensor {
    return tidy(() => {
      if (this.normFirst) {
        const attended = x.add(this.selfAttentionBlock(this.norm1.forward(x), masks));
        return attended.add(this.feedForwardBlock(this.norm2.forward(attended), this.dropout2));
      }
      const attended = this.norm1.forward(x.add(this.selfAttentionBlock(x, masks)));
      return this.norm2.forward(attended.add(this.feedForwardBlock(attended, this.dropout2)));
    });
  }
}

export class TransformerDecoderLayer extends TransformerLayerBase {
  constructor(dModel: number, heads: number, options: TransformerLayerOptions = {}) {
    super(dModel, heads, true, options);
  }

  /** PyTorch's multihead_attn: attention over the memory. */
  get multiheadAttn(): MultiheadAttention {
    return this.crossAttn as MultiheadAttention;
  }

  /** x: target sequence, memory: encoder output, both in the layer's layout; mask is the target (causal) mask. */
  forward(x: Tensor, memory: Tensor, masks: DecoderMasks = {}): Tensor {
    const crossAttn = this.crossAttn as MultiheadAttention;
    const norm3 = this.norm3 as LayerNorm;
    const dropout3 = this.dropout3 as Dropout;
    return tidy(() => {
      const crossAttention = (input: Tensor): Tensor =>
        this.dropout2.forward(
          crossAttn.forward(input, memory, memory, {
            attnMask: masks.memoryMask,
            keyPaddingMask: masks.memoryKeyPaddingMask,
          }),
        );
      if (this.normFirst) {
        const attended = x.add(this.selfAttentionBlock(this.norm1.forward(x), masks));
        const crossed = attended.add(crossAttention(this.norm2.forward(attended)));
        return crossed.add(this.feedForwardBlock(norm3.forward(crossed), dropout3));
      }
      const attended = this.norm1.forward(x.add(this.selfAttentionBlock(x, masks)));
      const crossed = this.norm2.forward(attended.add(crossAttention(attended)));
      return norm3.forward(crossed.add(this.feedForwardBlock(crossed, dropout3)));
    });
  }
}
