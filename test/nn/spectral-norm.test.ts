import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, F, eye, manualSeed, randn, tensor, tidy } from '../../src/tensor/index.js';
import { Conv2d, ConvTranspose2d, Embedding, Linear, spectralNorm } from '../../src/nn/index.js';
import { assertClose, noLeaks } from './helpers.js';

/** Largest singular value of a matrix by 200 power iterations on W^T W, computed independently of spectralNorm. */
function largestSingularValue(matrix: Tensor): number {
  return tidy(() => {
    let v = randn([matrix.shape[1] ?? 0]);
    for (let i = 0; i < 200; i++) {
      const next = matrix.T.matmul(matrix.matmul(v));
      v = next.div(next.norm());
    }
    return matrix.matmul(v).norm().item();
  });
}

test('a diagonal weight is divided by its largest entry after enough power iterations', async () => {
  await noLeaks(() => {
    const layer = spectralNorm(new Linear(3, 3, { bias: false }));
    tidy(() => {
      layer.weight.copy_(
        tensor([
          [3, 0, 0],
          [0, 1, 0],
          [0, 0, 0.5],
        ]),
      );
      for (let i = 0; i < 30; i++) layer.forward(eye(3)); // one power iteration per training forward
      // forward(I) = I W^T / sigma = W / sigma for this symmetric W
      assertClose(
        layer.forward(eye(3)),
        [
          [1, 0, 0],
          [0, 1 / 3, 0],
          [0, 0, 1 / 6],
        ],
        1e-5,
        'W / sigma',
      );
      const state = layer.stateDict();
      assertClose(
        (state.get('weight_u') as Tensor).abs(),
        [1, 0, 0],
        1e-5,
        'u converges to the top left singular vector',
      );
    });
    layer.dispose();
  });
});

test('the normalised weight has largest singular value 1 (Linear and Conv2d)', async () => {
  await noLeaks(() => {
    manualSeed(3);
    const linear = spectralNorm(new Linear(6, 4, { bias: false }), { powerIterations: 50 });
    const conv = spectralNorm(new Conv2d(3, 5, 3), { powerIterations: 50 });
    tidy(() => {
      linear.weight.copy_(linear.weight.mul(4)); // default init gives sigma near 1: move it away
      const sigma = largestSingularValue(linear.weight);
      assert.ok(sigma > 1.2 || sigma < 0.8, `test needs a weight whose sigma (${sigma}) is far from 1`);
      // forward(I) = W^T / sigma: its largest singular value must be 1
      const normalised = linear.forward(eye(6));
      assertClose([largestSingularValue(normalised)], [1], 1e-4, 'Linear');
      assertClose(normalised, linear.weight.T.div(sigma), 1e-4, 'Linear weight / sigma');
      const convSigma = largestSingularValue(conv.weight.reshape(5, 27));
      const image = randn([2, 3, 6, 6]);
      const expected = F.conv2d(image, conv.weight.div(convSigma), conv.bias);
      assertClose(conv.forward(image), expected, 1e-4, 'Conv2d = conv with weight / sigma');
    });
    linear.dispose();
    conv.dispose();
  });
});

test('transposed convolutions normalise over dim 1; u has one entry per output channel', async () => {
  await noLeaks(() => {
    manualSeed(4);
    const up = spectralNorm(new ConvTranspose2d(4, 3, 2, { stride: 2 }), { powerIterations: 50 });
    const state = up.stateDict();
    assert.deepEqual(state.get('weight_u')?.shape, [3]);
    assert.deepEqual(state.get('weight_v')?.shape, [16]);
    tidy(() => {
      const sigma = largestSingularValue(up.weight.transpose(0, 1).reshape(3, 16));
      const x = randn([1, 4, 3, 3]);
      assertClose(
        up.forward(x),
        F.convTranspose2d(x, up.weight.div(sigma), up.bias, { stride: 2 }),
        1e-4,
        'ConvTranspose2d',
      );
    });
    up.dispose();
  });
});

test('u and v change only in training; gradients reach weight_orig; two forwards before backward work', async () => {
  await noLeaks(() => {
    manualSeed(5);
    const layer = spectralNorm(new Linear(4, 3));
    const u = layer.stateDict().get('weight_u') as Tensor;
    tidy(() => {
      const x = randn([2, 4]);
      layer.eval();
      const frozen = u.toFlatArray();
      layer.forward(x);
      assert.deepEqual(u.toFlatArray(), frozen, 'eval leaves u alone');
      layer.train();
      const first = layer.forward(x);
      assert.notDeepEqual(u.toFlatArray(), frozen, 'training updates u');
      const second = layer.forward(x); // updates u again before the first graph's backward (as a GAN discriminator does)
      first.sum().add(second.sum()).backward();
      const gradient = layer.weight.grad;
      assert.ok(gradient && gradient.abs().sum().item() > 0);
      assert.equal(u.requiresGrad, false);
      assert.deepEqual(
        layer.namedParameters().map(([name]) => name),
        ['bias', 'weight_orig'],
      );
    });
    layer.zeroGrad();
    assert.throws(() => spectralNorm(layer), /spectralNorm: Linear\(4 -> 3\) has no parameter "weight"/);
    assert.throws(() => spectralNorm(layer, { powerIterations: 0 }), /powerIterations must be a positive integer/);
    layer.dispose();
  });
});

test('an Embedding can be spectrally normalised too', async () => {
  await noLeaks(() => {
    const embedding = spectralNorm(new Embedding(5, 3), { powerIterations: 50 });
    tidy(() => {
      const sigma = largestSingularValue(embedding.weight);
      const looked = embedding.forward(tensor([0, 1, 2, 3, 4], { dtype: 'int64' }));
      assertClose(looked, embedding.weight.div(sigma), 1e-5, 'rows / sigma');
    });
    embedding.dispose();
  });
});
