// Retrieval-augmented captioning: a bank of the training set's images (as small pooled-pixel keys) and
// their captions. For each input the captions of its nearest bank images (distinct captions, nearest
// first) become extra rows of the decoder's attention memory — token embedding + rank + position — so the
// decoder can copy words of look-alike training images (a caption for an unseen "woman factory worker"
// borrows "factory worker" from its neighbour) instead of only naming what it memorised.
// During training an image's own caption is excluded from its neighbours, as it will be at test time.
import { Embedding, Module } from '../../nn/index.js';
import { type Tensor, F, arange, noGrad, tensor, tidy, zeros } from '../../tensor/index.js';

export interface CaptionRetrievalOptions {
  vocabularySize: number;
  /** D of the decoder's memory rows. */
  dim: number;
  /** Captions retrieved per input. */
  neighbours: number;
  /** Training images in the bank. */
  bankSize: number;
  /** Tokens kept per bank caption (no bos/eos). */
  captionLength: number;
  /** Side the images are average-pooled to for their keys. */
  keySide: number;
  /** Channels of the images. */
  channels: number;
  paddingId: number;
}

/** Extra rows of attention memory: [B, M, D] and a mask [B, M] (true on real tokens). */
export interface RetrievedMemory {
  memory: Tensor;
  mask: Tensor;
}

export class CaptionRetrieval extends Module {
  private readonly keys: Tensor;
  private readonly captions: Tensor;
  /** Caption of each bank row as an index into the distinct captions (twins of one caption share it). */
  private readonly groups: Tensor;
  private readonly tokenEmbedding: Embedding;
  private readonly rankEmbedding: Embedding;
  private readonly positionEmbedding: Embedding;
  /** Group of a bank row, read once from `groups` (kept in JavaScript for the per-row dedupe). */
  private groupOf: Int32Array | undefined;
  /** Group of each bank caption (its token ids joined by spaces), built on first use. */
  private groupByCaption: Map<string, number> | undefined;

  constructor(readonly options: CaptionRetrievalOptions) {
    super();
    const { bankSize, captionLength, keySide, channels, dim, neighbours } = options;
    if (!(neighbours >= 1 && neighbours <= bankSize))
      throw new Error(`retrieval.neighbours must be between 1 and the ${bankSize} training images, got ${neighbours}`);
    this.keys = this.registerBuffer('keys', zeros([bankSize, channels * keySide * keySide]));
    this.captions = this.registerBuffer('captions', zeros([bankSize, captionLength], 'int64'));
    this.groups = this.registerBuffer('groups', zeros([bankSize], 'int64'));
    this.tokenEmbedding = this.registerModule(
      'token',
      new Embedding(options.vocabularySize, dim, { paddingIdx: options.paddingId }),
    );
    this.rankEmbedding = this.registerModule('rank', new Embedding(neighbours, dim));
    this.positionEmbedding = this.registerModule('position', new Embedding(captionLength, dim));
  }

  override loadStateDict(
    state: Map<string, Tensor>,
    options: { strict?: boolean } = {},
  ): ReturnType<Module['loadStateDict']> {
    const result = super.loadStateDict(state, options);
    this.groupOf = undefined;
    this.groupByCaption = undefined;
    return result;
  }

  /** The retrieval key of prepared images [B, C, S, S]: the image average-pooled to keySide², flattened. */
  keyOf(prepared: Tensor): Tensor {
    return tidy(() => F.adaptiveAvgPool2d(prepared, [this.options.keySide, this.options.keySide]).flatten(1));
  }

  /** Fills the bank: keys [N, K] (from keyOf), caption token ids per row (no bos/eos). */
  fill(keys: Tensor, captions: readonly (readonly number[])[]): void {
    const { bankSize, captionLength, paddingId } = this.options;
    if (keys.shape[0] !== bankSize || captions.length !== bankSize)
      throw new Error(
        `the retrieval bank holds ${bankSize} images, got ${keys.shape[0]} keys and ${captions.length} captions`,
      );
    const ids = new BigInt64Array(bankSize * captionLength).fill(BigInt(paddingId));
    const groupIds = new Map<string, number>();
    const groups = new BigInt64Array(bankSize);
    captions.forEach((caption, row) => {
      caption.slice(0, captionLength).forEach((id, position) => {
        ids[row * captionLength + position] = BigInt(id);
      });
      const key = caption.join(' ');
      if (!groupIds.has(key)) groupIds.set(key, groupIds.size);
      groups[row] = BigInt(groupIds.get(key) as number);
    });
    noGrad(() => {
      this.keys.copy_(keys);
      const captionTensor = tensor(ids, { shape: [bankSize, captionLength] });
      const groupTensor = tensor(groups);
      this.captions.copy_(captionTensor);
      this.groups.copy_(groupTensor);
      captionTensor.dispose();
      groupTensor.dispose();
    });
    this.groupOf = undefined;
    this.groupByCaption = undefined;
  }

  /** The group of a caption's token ids (no bos/eos), or -1 when no bank row has that caption. */
  groupOfCaption(caption: readonly number[]): number {
    if (!this.groupByCaption) {
      const { captionLength, paddingId } = this.options;
      const rows = this.captions.toFlatArray();
      const groups = this.bankGroups();
      this.groupByCaption = new Map();
      for (let row = 0; row < groups.length; row++) {
        const ids: number[] = [];
        for (let position = 0; position < captionLength; position++) {
          const id = Number(rows[row * captionLength + position]);
          if (id !== paddingId) ids.push(id);
        }
        this.groupByCaption.set(ids.join(' '), groups[row] as number);
      }
    }
    return this.groupByCaption.get(caption.slice(0, this.options.captionLength).join(' ')) ?? -1;
  }

  private bankGroups(): Int32Array {
    this.groupOf ??= Int32Array.from(this.groups.toFlatArray(), Number);
    return this.groupOf;
  }

  /**
   * Bank rows of the nearest distinct captions for each query key [B, K], nearest first; a row's
   * `exclude` group (its own caption, in training) is never retrieved.
   */
  nearest(queryKeys: Tensor, exclude?: readonly number[]): number[][] {
    const { neighbours, bankSize } = this.options;
    const groups = this.bankGroups();
    // twins share captions, so look further than `neighbours` rows to find that many distinct ones
    const candidates = Math.min(bankSize, neighbours * 4 + 2);
    const order = noGrad(() =>
      tidy(() => {
        const distances = this.keys
          .square()
          .sum(1)
          .unsqueeze(0)
          .sub(queryKeys.matmul(this.keys.transpose(0, 1)).mul(2));
        return distances.topk(candidates, 1, false)[1];
      }),
    );
    const flat = order.toFlatArray();
    order.dispose();
    const rows = queryKeys.shape[0] ?? 0;
    return Array.from({ length: rows }, (_, row) => {
      const picked: number[] = [];
      const seen = new Set<number>(exclude?.[row] !== undefined ? [exclude[row] as number] : []);
      for (let k = 0; k < candidates && picked.length < neighbours; k++) {
        const bankRow = Number(flat[row * candidates + k]);
        const group = groups[bankRow] as number;
        if (seen.has(group)) continue;
        seen.add(group);
        picked.push(bankRow);
      }
      // a tiny bank may hold fewer distinct captions than asked: repeat the nearest
      while (picked.length < neighbours) picked.push(picked[0] ?? 0);
      return picked;
    });
  }

  /** Memory rows of the retrieved captions: [B, neighbours × captionLength, D] and the mask of real tokens. */
  memoryOf(bankRows: readonly (readonly number[])[]): RetrievedMemory {
    const { neighbours, captionLength, paddingId } = this.options;
    const batch = bankRows.length;
    return tidy(() => {
      const index = tensor(BigInt64Array.from(bankRows.flat(), (row) => BigInt(row)));
      const tokens = this.captions.indexSelect(0, index).reshape(batch, neighbours * captionLength);
      const ranks = arange(neighbours)
        .unsqueeze(1)
        .expand(neighbours, captionLength)
        .reshape(1, neighbours * captionLength);
      const positions = arange(captionLength)
        .unsqueeze(0)
        .expand(neighbours, captionLength)
        .reshape(1, neighbours * captionLength);
      const memory = this.tokenEmbedding
        .forward(tokens)
        .add(this.rankEmbedding.forward(ranks))
        .add(this.positionEmbedding.forward(positions));
      return { memory, mask: tokens.ne(paddingId) };
    });
  }

  /** The retrieved-caption memory of prepared images (excluding each row's `exclude` group). */
  retrieve(prepared: Tensor, exclude?: readonly number[]): RetrievedMemory {
    const keys = this.keyOf(prepared);
    try {
      return this.memoryOf(this.nearest(keys, exclude));
    } finally {
      keys.dispose();
    }
  }
}
