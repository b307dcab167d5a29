import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, arange, manualSeed, noGrad, randint, randn, tensor, tidy } from '../../src/tensor/index.js';
import {
  Embedding,
  Linear,
  Module,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
  causalMask,
  crossEntropy,
} from '../../src/nn/index.js';
import { assertClose, noLeaks } from './helpers.js';

test('encoder and decoder layers keep the input shape in both layouts and both norm placements', async () => {
  await noLeaks(() => {
    manualSeed(1);
    const layers = [
      new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }),
      new TransformerEncoderLayer(8, 4, { dimFeedforward: 16, batchFirst: true, normFirst: true, activation: 'gelu' }),
    ];
    const decoders = [
      new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }),
      new TransformerDecoderLayer(8, 4, { dimFeedforward: 16, batchFirst: true, normFirst: true, activation: 'gelu' }),
    ];
    tidy(() => {
      const sequenceFirst = randn([5, 3, 8]);
      const batchFirst = randn([3, 5, 8]);
      const memoryFirst = randn([7, 3, 8]);
      const memoryBatch = randn([3, 7, 8]);
      const padding = tensor(
        [
          [0, 0, 0, 1, 1],
          [0, 0, 0, 0, 0],
          [0, 1, 1, 1, 1],
        ],
        { dtype: 'bool' },
      );
      const memoryPadding = tensor(
        [
          [0, 0, 0, 0, 0, 0, 1],
          [0, 0, 0, 0, 0, 0, 0],
          [0, 0, 0, 1, 1, 1, 1],
        ],
        { dtype: 'bool' },
      );
      const [postNorm, preNorm] = layers as [TransformerEncoderLayer, TransformerEncoderLayer];
      const [postDecoder, preDecoder] = decoders as [TransformerDecoderLayer, TransformerDecoderLayer];
      assert.deepEqual(
        postNorm.forward(sequenceFirst, { mask: causalMask(5), keyPaddingMask: padding }).shape,
        [5, 3, 8],
      );
      assert.deepEqual(preNorm.forward(batchFirst, { keyPaddingMask: padding }).shape, [3, 5, 8]);
      const masks = { mask: causalMask(5), keyPaddingMask: padding, memoryKeyPaddingMask: memoryPadding };
      assert.deepEqual(postDecoder.forward(sequenceFirst, memoryFirst, masks).shape, [5, 3, 8]);
      assert.deepEqual(preDecoder.forward(batchFirst, memoryBatch, masks).shape, [3, 5, 8]);
      // post-norm output rows are layer-normalised
      postNorm.eval();
      const normalised = postNorm.forward(sequenceFirst);
      assertClose(normalised.mean(-1), new Array<number>(15).fill(0), 1e-5, 'row means');
      // a causal decoder's first position ignores later target positions
      postDecoder.eval();
      const first = postDecoder.forward(sequenceFirst, memoryFirst, { mask: causalMask(5) }).select(0, 0);
      const altered = sequenceFirst.clone().indexPut([tensor([4], { dtype: 'int64' })], randn([1, 3, 8]));
      assertClose(
        postDecoder.forward(altered, memoryFirst, { mask: causalMask(5) }).select(0, 0),
        first,
        1e-5,
        'decoder causality',
      );
    });
    assert.equal(decoders[0]?.multiheadAttn.describe(), 'MultiheadAttention(8, 2 heads)');
    assert.throws(
      () => new TransformerEncoderLayer(8, 2, { activation: 'tanh' as 'relu' }),
      /activation must be 'relu' or 'gelu', got "tanh"/,
    );
    for (const m of [...layers, ...decoders]) m.dispose();
  });
});

/** Reads tokens, encodes them, and decodes position queries back into the tokens via cross-attention. */
class CopyModel extends Module {
  readonly tokens = this.registerModule('tokens', new Embedding(6, 16));
  readonly positions = this.registerModule('positions', new Embedding(5, 16));
  readonly encoder = this.registerModule(
    'encoder',
    new TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0, batchFirst: true }),
  );
  readonly decoder = this.registerModule(
    'decoder',
    new TransformerDecoderLayer(16, 2, { dimFeedforward: 32, dropout: 0, batchFirst: true }),
  );
  readonly head = this.registerModule('head', new Linear(16, 6));

  forward(source: Tensor): Tensor {
    const [batch = 0, length = 0] = source.shape;
    const positions = this.positions.forward(arange(length));
    const memory = this.encoder.forward(this.tokens.forward(source).add(positions));
    const queries = positions.unsqueeze(0).expand(batch, length, 16);
    return this.head.forward(this.decoder.forward(queries, memory));
  }
}

test('an encoder-decoder pair learns a tiny copy task (loss falls)', async () => {
  await noLeaks(() => {
    manualSeed(0);
    const model = new CopyModel();
    const losses: number[] = [];
    for (let step = 0; step < 80; step++) {
      losses.push(
        tidy(() => {
          const source = randint(0, 6, [16, 5]);
          const loss = crossEntropy(model.forward(source), source);
          loss.backward();
          // plain SGD, written here so this test does not depend on src/optim
          noGrad(() => {
            for (const parameter of model.parameters()) {
              const gradient = parameter.grad;
              if (gradient) parameter.copy_(parameter.sub(gradient.mul(0.3)));
            }
          });
          model.zeroGrad();
          return loss.item();
        }),
      );
    }
    const [first = 0] = losses;
    const last = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    assert.ok(first > 1.4, `initial loss ${first} should be near ln 6`);
    assert.ok(
      last < 0.1,
      `final loss ${last} should be near 0 (losses: ${losses
        .filter((_, i) => i % 10 === 0)
        .map((l) => l.toFixed(3))
        .join(' ')})`,
    );
    model.eval();
    tidy(() => {
      const source = tensor([[5, 0, 3, 3, 1]], { dtype: 'int64' });
      assert.deepEqual(model.forward(source).argmax(-1).toArray(), [[5, 0, 3, 3, 1]]);
    });
    model.dispose();
  });
});
