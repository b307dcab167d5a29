// Autoregressive text decoder over any encoder's feature map [B, N, D] (image cells, spectrogram
// frames): a GRU over the previous tokens, started from the mean feature, with dot-product attention
// from each GRU output over the features (Luong et al. 2015). Attention keys and values are projected
// once per input, so a decoding step is one GRU step plus two small matrix products.
import { Dropout, Embedding, GRU, Linear, Module } from '../../nn/index.js';
import { type Tensor, cat, keep, noGrad, tensor, tidy, zeros } from '../../tensor/index.js';
import type { RetrievedMemory } from './caption-retrieval.js';
import type { StepModel } from './decoding.js';

export interface AttentionDecoderOptions {
  vocabularySize: number;
  /** D of the feature map. */
  memoryDim: number;
  embeddingDim?: number;
  hiddenSize?: number;
  layers?: number;
  dropout?: number;
  paddingId?: number;
}

/** What a decoding step carries per row: the attention keys/values and the GRU state. */
export interface DecoderState {
  keys: Tensor;
  values: Tensor;
  hidden: Tensor;
  /** Added to the attention scores [B, 1, rows]: -1e9 on padding rows of extra memory. */
  bias?: Tensor | undefined;
}
/** A decoder state during a search, with the input row each row came from. */
export interface DecodingState extends DecoderState {
  source: Int32Array;
}

export class AttentionDecoder extends Module {
  readonly vocabularySize: number;
  readonly hiddenSize: number;
  readonly layers: number;
  private readonly embedding: Embedding;
  private readonly initial: Linear;
  private readonly gru: GRU;
  private readonly keyProjection: Linear;
  private readonly valueProjection: Linear;
  private readonly query: Linear;
  private readonly combine: Linear;
  private readonly dropout: Dropout;
  private readonly output: Linear;

  constructor(options: AttentionDecoderOptions) {
    super();
    const embeddingDim = options.embeddingDim ?? 64;
    this.hiddenSize = options.hiddenSize ?? 256;
    this.layers = options.layers ?? 1;
    this.vocabularySize = options.vocabularySize;
    const hidden = this.hiddenSize;
    this.embedding = this.registerModule(
      'embedding',
      new Embedding(options.vocabularySize, embeddingDim, { paddingIdx: options.paddingId ?? 0 }),
    );
    this.initial = this.registerModule('initial', new Linear(options.memoryDim, this.layers * hidden));
    this.gru = this.registerModule(
      'gru',
      new GRU(embeddingDim, hidden, {
        batchFirst: true,
        layers: this.layers,
        dropout: this.layers > 1 ? (options.dropout ?? 0.1) : 0,
      }),
    );
    this.keyProjection = this.registerModule('key', new Linear(options.memoryDim, hidden));
    this.valueProjection = this.registerModule('value', new Linear(options.memoryDim, hidden));
    this.query = this.registerModule('query', new Linear(hidden, hidden));
    this.combine = this.registerModule('combine', new Linear(2 * hidden, hidden));
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout ?? 0.1));
    this.output = this.registerModule('output', new Linear(hidden, options.vocabularySize));
  }

  private checkMemory(memory: Tensor): void {
    if (memory.rank !== 3)
      throw new Error(
        `AttentionDecoder expects a feature map [batch, positions, features], got [${memory.shape.join(', ')}]`,
      );
  }

  /**
   * Keys, values and the initial GRU state of a feature map; `extra` rows (retrieved captions) join the
   * attended memory, with their padding masked out, but not the initial state.
   */
  begin(memory: Tensor, extra?: RetrievedMemory): DecoderState {
    this.checkMemory(memory);
    return tidy(() => {
      const batch = memory.shape[0] ?? 0;
      const hidden = this.initial
        .forward(memory.mean(1))
        .tanh()
        .reshape(batch, this.layers, this.hiddenSize)
        .permute(1, 0, 2)
        .contiguous();
      if (!extra)
        return { keys: this.keyProjection.forward(memory), values: this.valueProjection.forward(memory), hidden };
      const attended = cat([memory, extra.memory], 1);
      const bias = cat([zeros([batch, memory.shape[1] ?? 0]), extra.mask.float().sub(1).mul(1e9)], 1).unsqueeze(1);
      return {
        keys: this.keyProjection.forward(attended),
        values: this.valueProjection.forward(attended),
        hidden,
        bias,
      };
    });
  }

  /** GRU outputs [B, T, H] → logits [B, T, V] with attention over the keys/values. */
  private readOut(outputs: Tensor, state: DecoderState): Tensor {
    let scores = this.query.forward(outputs).bmm(state.keys.transpose(1, 2)).div(Math.sqrt(this.hiddenSize));
    if (state.bias) scores = scores.add(state.bias);
    const context = scores.softmax(2).bmm(state.values);
    const combined = this.combine.forward(cat([outputs, context], 2)).tanh();
    return this.output.forward(this.dropout.forward(combined));
  }

  /** Teacher forcing: memory [B, N, D] and input tokens [B, T] (bos first) → logits [B, T, V]. */
  forward(memory: Tensor, inputs: Tensor, extra?: RetrievedMemory): Tensor {
    if (inputs.rank !== 2)
      throw new Error(`AttentionDecoder expects input tokens [batch, length], got [${inputs.shape.join(', ')}]`);
    return tidy(() => {
      const state = this.begin(memory, extra);
      const [outputs] = this.gru.forward(this.embedding.forward(inputs), state.hidden);
      return this.readOut(outputs, state);
    });
  }

  /** One step: tokens [R] → log-probabilities [R, V] and the next state. */
  step(state: DecoderState, tokens: Tensor): { logProbs: Tensor; state: DecoderState } {
    return tidy(() => {
      const [outputs, hidden] = this.gru.forward(this.embedding.forward(tokens.unsqueeze(1)), state.hidden);
      const logProbs = this.readOut(outputs, state).squeeze(1).logSoftmax(1);
      return { logProbs, state: { keys: state.keys, values: state.values, hidden, bias: state.bias } };
    });
  }

  /**
   * Decoding from a feature map: the decoder as a StepModel for decoding.ts (no gradients; call in eval
   * mode) and its initial state. States share tensors (keys and values stay put while a search only
   * reorders rows within each input), so they are reference-counted; release the initial state after
   * decoding.
   */
  startDecoding(memory: Tensor, extra?: RetrievedMemory): { model: StepModel<DecodingState>; initial: DecodingState } {
    const counts = new Map<Tensor, number>();
    const tensorsOf = (state: DecodingState): Tensor[] => [
      state.keys,
      state.values,
      state.hidden,
      ...(state.bias ? [state.bias] : []),
    ];
    const own = (state: DecodingState): DecodingState => {
      for (const value of tensorsOf(state)) {
        const count = counts.get(value) ?? 0;
        if (count === 0) keep(value);
        counts.set(value, count + 1);
      }
      return state;
    };
    const indexTensor = (values: Int32Array): Tensor => tensor(BigInt64Array.from(values, (value) => BigInt(value)));
    const model: StepModel<DecodingState> = {
      vocabularySize: this.vocabularySize,
      step: (state, tokens) =>
        noGrad(() => {
          const ids = indexTensor(tokens);
          try {
            const result = this.step(state, ids);
            const logProbs = Float32Array.from(result.logProbs.dataSync() as Float32Array);
            result.logProbs.dispose();
            return { logProbs, state: own({ ...result.state, source: state.source }) };
          } finally {
            ids.dispose();
          }
        }),
      select: (state, rows) =>
        noGrad(() => {
          const source = Int32Array.from(rows, (row) => state.source[row] as number);
          const sameSources =
            source.length === state.source.length && source.every((value, i) => value === state.source[i]);
          const index = indexTensor(rows);
          try {
            return own(
              tidy(() => ({
                keys: sameSources ? state.keys : state.keys.indexSelect(0, index),
                values: sameSources ? state.values : state.values.indexSelect(0, index),
                hidden: state.hidden.indexSelect(1, index),
                bias: state.bias && !sameSources ? state.bias.indexSelect(0, index) : state.bias,
                source,
              })),
            );
          } finally {
            index.dispose();
          }
        }),
      release: (state) => {
        for (const value of tensorsOf(state)) {
          const count = (counts.get(value) ?? 0) - 1;
          if (count > 0) counts.set(value, count);
          else if (counts.delete(value)) value.dispose();
        }
      },
    };
    const begun = noGrad(() => this.begin(memory, extra));
    const batch = memory.shape[0] ?? 0;
    return { model, initial: own({ ...begun, source: Int32Array.from({ length: batch }, (_, row) => row) }) };
  }
}
