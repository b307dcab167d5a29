// Pooling, resampling, softmax, dropout, normalisation, embedding and losses against known values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, arange, ones, manualSeed, F } from '../../src/tensor/index.js';
import { expectTensor, noLeak, sequence, assertClose } from './helpers.js';
import { bilinearReference } from './reference.js';

const image = (): ReturnType<typeof tensor> => arange(16).float().reshape(1, 1, 4, 4); // 0..15 row-major

test('max and average pooling, 1-D and 2-D, with stride and padding', () => {
  noLeak(() => {
    expectTensor(
      F.maxPool2d(image(), 2),
      [
        [
          [
            [5, 7],
            [13, 15],
          ],
        ],
      ],
      { shape: [1, 1, 2, 2] },
    );
    expectTensor(F.avgPool2d(image(), 2), [
      [
        [
          [2.5, 4.5],
          [10.5, 12.5],
        ],
      ],
    ]);
    expectTensor(F.maxPool2d(image(), 3, { stride: 1 }), [
      [
        [
          [10, 11],
          [14, 15],
        ],
      ],
    ]);
    expectTensor(F.maxPool2d(image(), 2, { stride: 2, padding: 1 }), [
      [
        [
          [0, 2, 3],
          [8, 10, 11],
          [12, 14, 15],
        ],
      ],
    ]);
    // average pooling counts the zero padding (count_include_pad, PyTorch's default)
    expectTensor(F.avgPool2d(image(), 2, { padding: 1 }), [
      [
        [
          [0, 0.75, 0.75],
          [3, 7.5, 4.5],
          [3, 6.75, 3.75],
        ],
      ],
    ]);
    expectTensor(F.maxPool2d(image(), [1, 4]), [[[[3], [7], [11], [15]]]], { shape: [1, 1, 4, 1] });
    const signal = tensor([[[1, 3, 2, 5, 4, 0]]]);
    expectTensor(F.maxPool1d(signal, 2), [[[3, 5, 4]]]);
    expectTensor(F.avgPool1d(signal, 3), [[[2, 3]]]);
    expectTensor(F.maxPool1d(signal, 3, { stride: 1 }), [[[3, 5, 5, 5]]]);
    expectTensor(F.adaptiveAvgPool2d(image(), 1), [[[[7.5]]]]);
    expectTensor(F.adaptiveAvgPool2d(image(), [2, 1]), [[[[3.5], [11.5]]]]);
    expectTensor(F.adaptiveAvgPool1d(signal, 2), [[[2, 3]]]);
  });
});

test('pixel shuffle: each group of r² channels becomes an r×r block, in row-major order', () => {
  noLeak(() => {
    // channels 0..3 of one pixel hold 0, 1, 2, 3 (+ 10 at the second pixel): they land as [[0, 1], [2, 3]]
    const input = tensor([[[[0, 10]], [[1, 11]], [[2, 12]], [[3, 13]]]]);
    expectTensor(
      F.pixelShuffle(input, 2),
      [
        [
          [
            [0, 1, 10, 11],
            [2, 3, 12, 13],
          ],
        ],
      ],
      { shape: [1, 1, 2, 4] },
    );
  });
});

test('interpolate: nearest and bilinear (align corners off and on), linear', () => {
  noLeak(() => {
    const small = tensor([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
    expectTensor(
      F.interpolate(small, { scaleFactor: 2 }),
      [
        [
          [
            [1, 1, 2, 2],
            [1, 1, 2, 2],
            [3, 3, 4, 4],
            [3, 3, 4, 4],
          ],
        ],
      ],
      { shape: [1, 1, 4, 4] },
    );
    expectTensor(F.interpolate(small, { size: [1, 3] }), [[[[1, 1, 2]]]]);
    expectTensor(F.interpolate(small, { size: [4, 4], mode: 'bilinear' }), [
      [
        [
          [1, 1.25, 1.75, 2],
          [1.5, 1.75, 2.25, 2.5],
          [2.5, 2.75, 3.25, 3.5],
          [3, 3.25, 3.75, 4],
        ],
      ],
    ]);
    expectTensor(F.interpolate(small, { size: [3, 3], mode: 'bilinear', alignCorners: true }), [
      [
        [
          [1, 1.5, 2],
          [2, 2.5, 3],
          [3, 3.5, 4],
        ],
      ],
    ]);
    expectTensor(F.interpolate(tensor([[[0, 10]]]), { size: [3], mode: 'linear', alignCorners: true }), [[[0, 5, 10]]]);
    expectTensor(F.interpolate(tensor([[[1, 2]]]), { scaleFactor: 2 }), [[[1, 1, 2, 2]]], { shape: [1, 1, 4] });
    const values = sequence(2 * 5 * 7, 3);
    const input = tensor(Float64Array.from(values), { shape: [1, 2, 5, 7] });
    const resized = F.interpolate(input, { size: [8, 3], mode: 'bilinear' });
    const expected = [0, 1].flatMap((c) => bilinearReference(values.slice(c * 35, c * 35 + 35), 5, 7, 8, 3));
    assertClose(resized.toFlatArray(), expected, 1e-12, 'bilinear 5x7 -> 8x3');
    assert.throws(() => F.interpolate(small, {}), /size or scaleFactor/);
    // a non-integer scale factor maps coordinates by 1/scale, as PyTorch's scale_factor does (values from torch 1.13)
    expectTensor(
      F.interpolate(arange(9).float().view(1, 1, 3, 3), { scaleFactor: 1.5, mode: 'bilinear' }),
      [
        [
          [
            [0, 0.5, 7 / 6, 11 / 6],
            [1.5, 2, 8 / 3, 10 / 3],
            [3.5, 4, 14 / 3, 16 / 3],
            [5.5, 6, 20 / 3, 22 / 3],
          ],
        ],
      ],
      { shape: [1, 1, 4, 4] },
    );
    expectTensor(F.interpolate(arange(5).float().view(1, 1, 5), { scaleFactor: 1.5, mode: 'linear' }), [
      [[0, 0.5, 7 / 6, 11 / 6, 2.5, 19 / 6, 23 / 6]],
    ]);
  });
});

test('softmax and logSoftmax along a dim', () => {
  noLeak(() => {
    const x = tensor(
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
      { dtype: 'float64' },
    );
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expectTensor(
      F.softmax(x),
      [
        [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z],
        [1 / 3, 1 / 3, 1 / 3],
      ],
      { tolerance: 1e-12 },
    );
    expectTensor(
      F.logSoftmax(x),
      [
        [1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)],
        [-Math.log(3), -Math.log(3), -Math.log(3)],
      ],
      { tolerance: 1e-12 },
    );
    expectTensor(
      x.softmax(0),
      [
        [Math.E / (Math.E + 1), Math.exp(2) / (Math.exp(2) + 1), Math.exp(3) / (Math.exp(3) + 1)],
        [1 / (Math.E + 1), 1 / (Math.exp(2) + 1), 1 / (Math.exp(3) + 1)],
      ],
      { tolerance: 1e-12 },
    );
    expectTensor(F.softmax(tensor([1000, 1000])), [0.5, 0.5]); // stable for large logits
  });
});

test('dropout zeroes about p of the elements and scales the rest by 1/(1-p); identity in eval', () => {
  noLeak(() => {
    manualSeed(3);
    const out = F.dropout(ones([10000]), 0.25, true).toFlatArray();
    const zeros = out.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / 10000 - 0.25) < 0.02, `dropped fraction ${zeros / 10000}`);
    assert.ok(
      out.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6),
      'kept values are scaled by 1/(1-p)',
    );
    expectTensor(F.dropout(tensor([1, 2]), 0.5, false), [1, 2]);
    expectTensor(F.dropout(tensor([1, 2]), 0, true), [1, 2]);
  });
});

test('batchNorm in training uses batch statistics and updates running stats; eval uses running stats', () => {
  noLeak(() => {
    const x = tensor([
      [1, 10],
      [3, 20],
    ]); // batch 2, features 2: means [2, 15], biased vars [1, 25]
    const runningMean = tensor([0, 0]);
    const runningVar = tensor([1, 1]);
    const out = F.batchNorm(x, {
      training: true,
      runningMean,
      runningVar,
      weight: tensor([1, 2]),
      bias: tensor([0, 1]),
      eps: 0,
    });
    expectTensor(out, [
      [-1, -1],
      [1, 3],
    ]);
    // running stats: momentum 0.1, unbiased variance (2 and 50)
    expectTensor(runningMean.clone(), [0.2, 1.5]);
    expectTensor(runningVar.clone(), [0.9 + 0.2, 0.9 + 5]);
    const evaluated = F.batchNorm(tensor([[1.2, 1.5]]), { training: false, runningMean, runningVar, eps: 0 });
    expectTensor(evaluated, [[1 / Math.sqrt(1.1), 0]], { tolerance: 1e-6 });
    // 4-D input normalises per channel over batch and space
    const image4d = tensor([[[[1, 3]], [[0, 0]]]]); // [1, 2, 1, 2]
    expectTensor(F.batchNorm(image4d, { training: true, eps: 0 }), [[[[-1, 1]], [[0, 0]]]], { tolerance: 1e-6 });
  });
});

test('layerNorm and groupNorm', () => {
  noLeak(() => {
    const x = tensor([
      [1, 2, 3, 4],
      [0, 0, 4, 4],
    ]);
    const s = Math.sqrt(1.25); // population std of 1..4
    expectTensor(
      F.layerNorm(x, [4], null, null, 0),
      [
        [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s],
        [-1, -1, 1, 1],
      ],
      { tolerance: 1e-6 },
    );
    expectTensor(
      F.layerNorm(x, [4], tensor([1, 1, 2, 2]), tensor([0, 0, 0, 1]), 0),
      [
        [-1.5 / s, -0.5 / s, 1 / s, 3 / s + 1],
        [-1, -1, 2, 3],
      ],
      { tolerance: 1e-6 },
    );
    expectTensor(F.layerNorm(x.reshape(1, 2, 4), [2, 4], null, null, 0).sum(), 0, { tolerance: 1e-5 });
    // groupNorm: [1, 4, 1] with 2 groups of 2 channels each
    const g = tensor([[[1], [3], [10], [14]]]);
    expectTensor(F.groupNorm(g, 2, null, null, 0), [[[-1], [1], [-1], [1]]]);
    expectTensor(F.groupNorm(g, 2, tensor([2, 2, 1, 1]), tensor([0, 0, 5, 5]), 0), [[[-2], [2], [4], [6]]]);
  });
});

test('embedding looks up rows; padding index rows get no gradient', () => {
  noLeak(() => {
    const weight = tensor([
      [0, 0],
      [1, 2],
      [3, 4],
    ]);
    expectTensor(
      F.embedding(
        weight,
        tensor(
          [
            [2, 1],
            [0, 2],
          ],
          { dtype: 'int64' },
        ),
      ),
      [
        [
          [3, 4],
          [1, 2],
        ],
        [
          [0, 0],
          [3, 4],
        ],
      ],
      { shape: [2, 2, 2] },
    );
    const learnable = tensor([
      [1, 1],
      [2, 2],
    ]).requiresGrad_();
    F.embedding(learnable, tensor([0, 1, 1], { dtype: 'int64' }), 0)
      .sum()
      .backward();
    expectTensor(learnable.grad!, [
      [0, 0],
      [2, 2],
    ]);
    assert.throws(
      () => F.embedding(weight, tensor([0.5])),
      /Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int|indices/,
    );
  });
});

test('losses: mse, l1, smooth l1, bce with logits, cross entropy, nll', () => {
  noLeak(() => {
    const input = tensor([1, 2, 4]);
    const target = tensor([1, 0, 1]);
    expectTensor(F.mseLoss(input, target), (0 + 4 + 9) / 3);
    expectTensor(F.mseLoss(input, target, 'sum'), 13);
    expectTensor(F.mseLoss(input, target, 'none'), [0, 4, 9]);
    expectTensor(F.l1Loss(input, target), 5 / 3);
    expectTensor(F.smoothL1Loss(input, target, 'none'), [0, 1.5, 2.5]);
    const sp = (v: number): number => Math.log1p(Math.exp(v));
    expectTensor(F.bceWithLogits(tensor([0, 2]), tensor([1, 0])), (sp(-0) + sp(2)) / 2, { tolerance: 1e-6 });
    const logits = tensor(
      [
        [1, 2, 3],
        [1, 1, 1],
      ],
      { dtype: 'float64' },
    );
    const classes = tensor([2, 0], { dtype: 'int64' });
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expectTensor(F.crossEntropy(logits, classes), (lse - 3 + Math.log(3)) / 2, { tolerance: 1e-12 });
    expectTensor(F.crossEntropy(logits, classes, { reduction: 'none' }), [lse - 3, Math.log(3)], { tolerance: 1e-12 });
    expectTensor(F.crossEntropy(logits, tensor([2, -100], { dtype: 'int64' })), lse - 3, { tolerance: 1e-12 });
    expectTensor(F.nllLoss(F.logSoftmax(logits), classes, { reduction: 'sum' }), lse - 3 + Math.log(3), {
      tolerance: 1e-12,
    });
  });
});
