import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, cat, full, manualSeed, ones, randn, tensor, tidy, zeros } from '../../src/tensor/index.js';
import { MultiheadAttention, causalMask } from '../../src/nn/index.js';
import { assertClose, noLeaks } from './helpers.js';

/**
 * Attention computed head by head from the definition: softmax(Q K^T / sqrt(d) + mask) V, then out_proj.
 * q [target, E], k/v [source, E] for one batch element; additive mask [target, source] or null.
 */
function manual(attention: MultiheadAttention, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): Tensor {
  const E = attention.embedDim;
  const d = attention.headDim;
  const W = attention.inProjWeight;
  const b = attention.inProjBias as Tensor;
  const project = (x: Tensor, part: number): Tensor =>
    x.matmul(W.narrow(0, part * E, E).T).add(b.narrow(0, part * E, E));
  const [Q, K, V] = [project(q, 0), project(k, 1), project(v, 2)];
  const heads: Tensor[] = [];
  for (let h = 0; h < attention.heads; h++) {
    const [qh, kh, vh] = [Q, K, V].map((t) => t.narrow(1, h * d, d)) as [Tensor, Tensor, Tensor];
    let scores = qh.matmul(kh.T).div(Math.sqrt(d));
    if (mask) scores = scores.add(mask);
    heads.push(scores.softmax(-1).matmul(vh));
  }
  return cat(heads, 1)
    .matmul(attention.outProj.weight.T)
    .add(attention.outProj.bias as Tensor);
}

function randomBiases(attention: MultiheadAttention): void {
  tidy(() => {
    attention.inProjBias?.copy_(randn([3 * attention.embedDim]));
    attention.outProj.bias?.copy_(randn([attention.embedDim]));
  });
}

test('self-attention equals softmax(QK^T/sqrt(d))V per head, in both layouts and unbatched', async () => {
  await noLeaks(() => {
    manualSeed(1);
    const attention = new MultiheadAttention(6, 3);
    const batchFirst = new MultiheadAttention(6, 3, { batchFirst: true });
    randomBiases(attention);
    batchFirst.loadStateDict(attention.stateDict());
    tidy(() => {
      const x = randn([4, 2, 6]); // [length, batch, E]
      const output = attention.forward(x, x, x);
      assert.deepEqual(output.shape, [4, 2, 6]);
      for (let n = 0; n < 2; n++) {
        const xn = x.select(1, n);
        assertClose(output.select(1, n), manual(attention, xn, xn, xn, null), 1e-5, `batch ${n}`);
      }
      const xb = x.transpose(0, 1);
      assertClose(batchFirst.forward(xb, xb, xb), output.transpose(0, 1), 1e-6, 'batchFirst');
      const single = x.select(1, 1);
      assertClose(attention.forward(single, single, single), output.select(1, 1), 1e-6, 'unbatched');
      const [, weights] = attention.forwardWithWeights(x, x, x, { averageHeads: false });
      assert.deepEqual(weights.shape, [2, 3, 4, 4]);
      assertClose(weights.sum(-1), new Array<number>(24).fill(1), 1e-6, 'weights are distributions');
    });
    attention.dispose();
    batchFirst.dispose();
  });
});

test('cross-attention with distinct key and value, and with key === value', async () => {
  await noLeaks(() => {
    manualSeed(2);
    const attention = new MultiheadAttention(4, 2);
    randomBiases(attention);
    tidy(() => {
      const q = randn([3, 2, 4]);
      const k = randn([5, 2, 4]);
      const v = randn([5, 2, 4]);
      const output = attention.forward(q, k, v);
      const shared = attention.forward(q, k, k);
      assert.deepEqual(output.shape, [3, 2, 4]);
      for (let n = 0; n < 2; n++) {
        assertClose(
          output.select(1, n),
          manual(attention, q.select(1, n), k.select(1, n), v.select(1, n), null),
          1e-5,
          `distinct ${n}`,
        );
        assertClose(
          shared.select(1, n),
          manual(attention, q.select(1, n), k.select(1, n), k.select(1, n), null),
          1e-5,
          `shared ${n}`,
        );
      }
    });
    attention.dispose();
  });
});

test('masks: bool marks disallowed positions, float is added, key padding hides keys', async () => {
  await noLeaks(() => {
    manualSeed(3);
    const attention = new MultiheadAttention(4, 2);
    randomBiases(attention);
    tidy(() => {
      const x = randn([3, 2, 4]);
      const causal = causalMask(3);
      assert.deepEqual(causal.toArray(), [
        [0, 1, 1],
        [0, 0, 1],
        [0, 0, 0],
      ]);
      assert.equal(causal.dtype, 'bool');
      const additive = zeros([3, 3]).maskedFill(causal, -Infinity);
      const withBool = attention.forward(x, x, x, { attnMask: causal });
      assertClose(withBool, attention.forward(x, x, x, { attnMask: additive }), 1e-6, 'bool == float -inf');
      for (let n = 0; n < 2; n++) {
        const xn = x.select(1, n);
        assertClose(withBool.select(1, n), manual(attention, xn, xn, xn, additive), 1e-5, `causal ${n}`);
      }
      // position 0 sees only itself under the causal mask: changing later positions leaves it alone
      const changed = cat([x.narrow(0, 0, 1), randn([2, 2, 4])], 0);
      assertClose(
        attention.forward(changed, changed, changed, { attnMask: causal }).select(0, 0),
        withBool.select(0, 0),
        1e-6,
        'causality',
      );
      // a float mask biases scores
      const bias = tensor([
        [0, -1, 2],
        [1, 0, 0],
        [0.5, 0.5, -3],
      ]);
      assertClose(
        attention.forward(x, x, x, { attnMask: bias }).select(1, 0),
        manual(attention, x.select(1, 0), x.select(1, 0), x.select(1, 0), bias),
        1e-5,
        'float mask',
      );
      // key padding: batch 0 ignores key 2
      const padding = tensor(
        [
          [0, 0, 1],
          [0, 0, 0],
        ],
        { dtype: 'bool' },
      );
      const padded = attention.forward(x, x, x, { keyPaddingMask: padding });
      const x0 = x.select(1, 0);
      const hidden = tensor([
        [0, 0, -Infinity],
        [0, 0, -Infinity],
        [0, 0, -Infinity],
      ]);
      assertClose(padded.select(1, 0), manual(attention, x0, x0, x0, hidden), 1e-5, 'padded batch');
      assertClose(padded.select(1, 1), attention.forward(x, x, x).select(1, 1), 1e-6, 'unpadded batch');
      const [, weights] = attention.forwardWithWeights(x, x, x, { keyPaddingMask: padding });
      assertClose(weights.select(0, 0).select(1, 2), [0, 0, 0], 0, 'no weight on padding');
      // a per-head 3-D mask [batch x heads, target, source]
      assert.deepEqual(attention.forward(x, x, x, { attnMask: full([4, 3, 3], 0) }).shape, [3, 2, 4]);
      assert.throws(
        () => attention.forward(x, x, x, { attnMask: zeros([3, 4]) }),
        /attnMask must be \[3, 3\] or \[4, 3, 3\], got \[3, 4\]/,
      );
      assert.throws(
        () => attention.forward(x, x, x, { keyPaddingMask: zeros([2, 3], 'int64') }),
        /keyPaddingMask must be bool \(true = masked\) or float/,
      );
      assert.throws(
        () => attention.forward(x, x, x, { keyPaddingMask: zeros([3, 2], 'bool') }),
        /keyPaddingMask must be \[2, 3\] \(true = padding\), got \[3, 2\]/,
      );
    });
    attention.dispose();
  });
});

test('shape errors name the layer; dropout applies in training only; parameters get gradients', async () => {
  await noLeaks(() => {
    manualSeed(4);
    const attention = new MultiheadAttention(4, 2, { dropout: 0.5 });
    tidy(() => {
      const x = randn([3, 2, 4]);
      assert.throws(
        () => attention.forward(ones([3, 2, 5]), x, x),
        /MultiheadAttention\(4, 2 heads\): every input must have the same rank and last dimension 4/,
      );
      assert.throws(
        () => attention.forward(x, ones([3, 1, 4]), ones([3, 1, 4])),
        /query and key must have the same batch size/,
      );
      assert.throws(() => new MultiheadAttention(5, 2), /embedDim \(5\) must be divisible by heads \(2\)/);
      assert.notDeepEqual(attention.forward(x, x, x).toFlatArray(), attention.forward(x, x, x).toFlatArray());
      attention.eval();
      assert.deepEqual(attention.forward(x, x, x).toFlatArray(), attention.forward(x, x, x).toFlatArray());
      attention.train();
      attention.forward(x, x, x).square().sum().backward();
      for (const [name, p] of attention.namedParameters())
        assert.ok((p.grad?.abs().sum().item() ?? 0) > 0, `${name} has no gradient`);
    });
    attention.zeroGrad();
    attention.dispose();
  });
});
