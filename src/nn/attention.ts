// Multi-head attention as torch.nn.MultiheadAttention (PyTorch 1.13 math): packed in_proj_weight /
// in_proj_bias, out_proj Linear, scores softmax(Q K^T / sqrt(d)) V per head. A bool mask marks
// disallowed positions (true = masked), a float mask is added to the scores.
import { type Tensor, F, baddbmm, empty, ones, tidy, zeros } from '../tensor/index.js';
import { xavierUniform_ } from './init.js';
import { Linear, linear } from './linear.js';
import { Module } from './module.js';

export interface AttentionOptions {
  /** [target, source] or [batch x heads, target, source]; bool (true = masked) or float (added). */
  attnMask?: Tensor | null;
  /** [batch, source]; bool (true = padding, ignored) or float (added). */
  keyPaddingMask?: Tensor | null;
  /** Accepted for PyTorch parity; forward never computes weights, use forwardWithWeights. */
  needWeights?: boolean;
}

/** Bool [length, length] mask, true above the diagonal: position i may attend to positions <= i. */
export function causalMask(length: number): Tensor {
  if (!Number.isInteger(length) || length < 1)
    throw new Error(`causalMask: length must be a positive integer, got ${length}`);
  return tidy(() => ones([length, length], 'bool').triu(1));
}

export class MultiheadAttention extends Module {
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor | null;
  readonly outProj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(
    readonly embedDim: number,
    readonly heads: number,
    options: { dropout?: number; batchFirst?: boolean; bias?: boolean } = {},
  ) {
    super();
    if (
      !Number.isInteger(embedDim) ||
      !Number.isInteger(heads) ||
      heads < 1 ||
      embedDim < 1 ||
      embedDim % heads !== 0
    ) {
      throw new Error(`MultiheadAttention: embedDim (${embedDim}) must be divisible by heads (${heads})`);
    }
    this.headDim = embedDim / heads;
    this.dropout = options.dropout ?? 0;
    this.batchFirst = options.batchFirst ?? false;
    const bias = options.bias ?? true;
    this.inProjWeight = this.registerParameter('in_proj_weight', empty([3 * embedDim, embedDim]));
    this.inProjBias = bias ? this.registerParameter('in_proj_bias', zeros([3 * embedDim])) : null;
    // same draw order as PyTorch: out_proj's own init first, then xavier for in_proj_weight
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { bias }));
    xavierUniform_(this.inProjWeight);
    this.outProj.bias?.fill_(0);
  }

  override describe(): string {
    return `MultiheadAttention(${this.embedDim}, ${this.heads} heads)`;
  }

  /** query [target, batch, E] (batchFirst: [batch, target, E], unbatched: [target, E]); key/value likewise with source length. */
  forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): Tensor {
    return this.attend(query, key, value, options, false)[0];
  }

  /** Output and attention weights [batch, target, source] (averaged over heads unless averageHeads is false). */
  forwardWithWeights(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: AttentionOptions & { averageHeads?: boolean } = {},
  ): [Tensor, Tensor] {
    const [output, weights] = this.attend(query, key, value, options, true, options.averageHeads ?? true);
    if (weights === null) throw new Error('unreachable: weights were requested');
    return [output, weights];
  }

  private check(query: Tensor, key: Tensor, value: Tensor): { batched: boolean } {
    const rank = query.rank;
    const layout = this.batchFirst ? '[batch, length, E]' : '[length, batch, E]';
    const shapes = `query [${query.shape.join(', ')}], key [${key.shape.join(', ')}], value [${value.shape.join(', ')}]`;
    const fail = (why: string): Error =>
      new Error(
        `${this.describe()}: ${why}; got ${shapes} (layout ${layout} or unbatched [length, E], E = ${this.embedDim})`,
      );
    if (rank !== 2 && rank !== 3) throw fail('inputs must be rank 3 (or 2 unbatched)');
    for (const t of [query, key, value])
      if (t.rank !== rank || t.shape[rank - 1] !== this.embedDim)
        throw fail(`every input must have the same rank and last dimension ${this.embedDim}`);
    if (key.shape.join(',') !== value.shape.join(',')) throw fail('key and value must have the same shape');
    const batchDim = this.batchFirst ? 0 : 1;
    if (rank === 3 && query.shape[batchDim] !== key.shape[batchDim])
      throw fail('query and key must have the same batch size');
    return { batched: rank === 3 };
  }

  private attend(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    o: AttentionOptions,
    wantWeights: boolean,
    averageHeads = true,
  ): [Tensor, Tensor | null] {
    const { batched } = this.check(query, key, value);
    const selfAttention = query === key && key === value;
    const sharedKeyValue = key === value;
    return tidy((): [Tensor, Tensor | null] => {
      // work in [length, batch, E]
      const toSequenceFirst = (t: Tensor): Tensor =>
        !batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t;
      const q = toSequenceFirst(query);
      const k = selfAttention ? q : toSequenceFirst(key);
      const v = selfAttention ? q : sharedKeyValue ? k : toSequenceFirst(value);
      const [targetLength = 0, batch = 0] = q.shape;
      const sourceLength = k.shape[0] ?? 0;
      const { embedDim: E, heads: H, headDim: d } = this;
      const W = this.inProjWeight;
      const b = this.inProjBias;
      // [length, batch, n x E] -> n tensors [batch x heads, length, d]
      const splitHeads = (packed: Tensor, length: number, n: number): Tensor[] =>
        packed
          .reshape(length, batch, n, H, d)
          .permute(2, 1, 3, 0, 4)
          .reshape(n, batch * H, length, d)
          .unbind(0);
      const rows = (start: number, count: number): [Tensor, Tensor | null] => [
        W.narrow(0, start, count),
        b === null ? null : b.narrow(0, start, count),
      ];
      let qh: Tensor;
      let kh: Tensor;
      let vh: Tensor;
      if (selfAttention) {
        [qh, kh, vh] = splitHeads(linear(q, W, b), targetLength, 3) as [Tensor, Tensor, Tensor];
      } else {
        [qh] = splitHeads(linear(q, ...rows(0, E)), targetLength, 1) as [Tensor];
        if (sharedKeyValue) [kh, vh] = splitHeads(linear(k, ...rows(E, 2 * E)), sourceLength, 2) as [Tensor, Tensor];
        else {
          [kh] = splitHeads(linear(k, ...rows(E, E)), sourceLength, 1) as [Tensor];
          [vh] = splitHeads(linear(v, ...rows(2 * E, E)), sourceLength, 1) as [Tensor];
        }
      }
      const scaled = qh.div(Math.sqrt(d));
      const keysT = kh.transpose(1, 2);
      // a float mask is added inside the matmul (one kernel, as PyTorch's baddbmm); a bool mask is filled after
      const floatMask =
        o.attnMask !== null && o.attnMask !== undefined && this.maskKind(o.attnMask, 'attnMask') === 'float';
      let scores = floatMask
        ? baddbmm(this.checkAttnMask(o.attnMask as Tensor, targetLength, sourceLength, batch), scaled, keysT)
        : scaled.bmm(keysT);
      if (!floatMask) scores = this.applyAttnMask(scores, o.attnMask, targetLength, sourceLength, batch);
      scores = this.applyPaddingMask(scores, o.keyPaddingMask, batched, batch, targetLength, sourceLength);
      let attention = scores.softmax(-1);
      if (this.training && this.dropout > 0) attention = F.dropout(attention, this.dropout, true);
      const merged = attention
        .bmm(vh)
        .transpose(0, 1)
        .reshape(targetLength * batch, E);
      let output = this.outProj.forward(merged).view(targetLength, batch, E);
      output = !batched ? output.squeeze(1) : this.batchFirst ? output.transpose(0, 1) : output;
      if (!wantWeights) return [output, null];
      let weights = attention.view(batch, H, targetLength, sourceLength);
      if (averageHeads) weights = weights.mean(1);
      return [output, batched ? weights : weights.squeeze(0)];
    });
  }

  private maskKind(mask: Tensor, name: string): 'bool' | 'float' {
    if (mask.dtype === 'bool') return 'bool';
    if (mask.dtype === 'float32' || mask.dtype === 'float64') return 'float';
    throw new Error(
      `${this.describe()}: ${name} must be bool (true = masked) or float (added to scores), got ${mask.dtype}`,
    );
  }

  private checkAttnMask(mask: Tensor, target: number, source: number, batch: number): Tensor {
    const shape = mask.shape.join(',');
    if (shape !== `${target},${source}` && shape !== `${batch * this.heads},${target},${source}`) {
      throw new Error(
        `${this.describe()}: attnMask must be [${target}, ${source}] or [${batch * this.heads}, ${target}, ${source}], got [${mask.shape.join(', ')}]`,
      );
    }
    return mask;
  }

  private applyAttnMask(
    scores: Tensor,
    mask: Tensor | null | undefined,
    target: number,
    source: number,
    batch: number,
  ): Tensor {
    if (mask === null || mask === undefined) return scores;
    const kind = this.maskKind(mask, 'attnMask');
    this.checkAttnMask(mask, target, source, batch);
    return kind === 'bool' ? scores.maskedFill(mask, -Infinity) : scores.add(mask);
  }

  private applyPaddingMask(
    scores: Tensor,
    mask: Tensor | null | undefined,
    batched: boolean,
    batch: number,
    target: number,
    source: number,
  ): Tensor {
    if (mask === null || mask === undefined) return scores;
    const kind = this.maskKind(mask, 'keyPaddingMask');
    const expected = batched ? [batch, source] : [source];
    if (mask.shape.join(',') !== expected.join(',')) {
      throw new Error(
        `${this.describe()}: keyPaddingMask must be [${expected.join(', ')}] (true = padding), got [${mask.shape.join(', ')}]`,
      );
    }
    const perBatch = scores.view(batch, this.heads, target, source);
    const broadcast = mask.reshape(batch, 1, 1, source);
    const masked = kind === 'bool' ? perBatch.maskedFill(broadcast, -Infinity) : perBatch.add(broadcast);
    return masked.view(batch * this.heads, target, source);
  }
}
