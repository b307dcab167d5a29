// Reductions with and without dims, sorting, and matrix products.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, matmul, bmm, einsum, arange } from '../../src/tensor/index.js';
import { expectTensor, noLeak } from './helpers.js';

const m = (): ReturnType<typeof tensor> =>
  tensor([
    [1, 5, 3],
    [4, 2, 6],
  ]);

test('sum and mean over all, one and several dims, with keepdim', () => {
  noLeak(() => {
    expectTensor(m().sum(), 21, { shape: [], dtype: 'float32' });
    expectTensor(m().sum(0), [5, 7, 9], { shape: [3] });
    expectTensor(m().sum(1), [9, 12], { shape: [2] });
    expectTensor(m().sum(-1, true), [[9], [12]], { shape: [2, 1] });
    expectTensor(m().sum([0, 1]), 21, { shape: [] });
    expectTensor(m().sum(undefined, true), [[21]], { shape: [1, 1] });
    expectTensor(m().mean(), 3.5, { shape: [] });
    expectTensor(m().mean(0), [2.5, 3.5, 4.5]);
    expectTensor(m().mean(1, true), [[3], [4]], { shape: [2, 1] });
    expectTensor(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'int64' },
      ).sum(),
      10,
      { dtype: 'int64' },
    );
    expectTensor(tensor([1, 1, 0], { dtype: 'bool' }).sum(), 2, { dtype: 'int64' });
    expectTensor(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'int32' },
      ).sum(0),
      [4, 6],
      { dtype: 'int64' },
    );
    expectTensor(m().prod(), 720);
    expectTensor(m().prod(1), [15, 48]);
    // mixed negative and positive dims name the same axes as in PyTorch
    const product = (from: number, to: number): number =>
      Array.from({ length: to - from + 1 }, (_, k) => from + k).reduce((p, v) => p * v, 1);
    expectTensor(arange(24).reshape(2, 3, 4).float().prod([-2, 2]), [0, product(12, 23)], {
      shape: [2],
      tolerance: 1e-5,
    });
    expectTensor(
      arange(24).reshape(2, 3, 4).float().prod([0, -1]),
      [0, 4 * 5 * 6 * 7 * 16 * 17 * 18 * 19, 8 * 9 * 10 * 11 * 20 * 21 * 22 * 23],
      { shape: [3], tolerance: 1e-5 },
    );
  });
});

test('max, min, argmax, argmin and the value/index pairs', () => {
  noLeak(() => {
    expectTensor(m().max(), 6, { shape: [] });
    expectTensor(m().min(), 1, { shape: [] });
    expectTensor(m().max(0), [4, 5, 6]);
    expectTensor(m().min(1), [1, 2]);
    expectTensor(m().max(1, true), [[5], [6]], { shape: [2, 1] });
    expectTensor(m().argmax(), 5, { dtype: 'int64', shape: [] });
    expectTensor(m().argmin(), 0, { dtype: 'int64' });
    expectTensor(m().argmax(1), [1, 2], { dtype: 'int64' });
    expectTensor(m().argmin(0, true), [[0, 1, 0]], { shape: [1, 3] });
    const [values, indices] = m().maxWithIndices(1);
    expectTensor(values, [5, 6]);
    expectTensor(indices, [1, 2], { dtype: 'int64' });
    const [low, where] = m().minWithIndices(0, true);
    expectTensor(low, [[1, 2, 3]]);
    expectTensor(where, [[0, 1, 0]]);
    expectTensor(tensor([3, 9, 2], { dtype: 'int64' }).max(), 9, { dtype: 'int64' });
  });
});

test('logsumexp, var, std, norm, all, any, cumsum', () => {
  noLeak(() => {
    const x = tensor(
      [
        [0, 1, 2],
        [3, 3, 3],
      ],
      { dtype: 'float64' },
    );
    const lse = (values: number[]): number => Math.log(values.reduce((s, v) => s + Math.exp(v), 0));
    expectTensor(x.logsumexp(), lse([0, 1, 2, 3, 3, 3]), { dtype: 'float64', tolerance: 1e-12 });
    expectTensor(x.logsumexp(1), [lse([0, 1, 2]), 3 + Math.log(3)], { tolerance: 1e-12 });
    expectTensor(x.logsumexp(0, true), [[lse([0, 3]), lse([1, 3]), lse([2, 3])]], { shape: [1, 3], tolerance: 1e-12 });
    // large values do not overflow
    expectTensor(tensor([1000, 1000]).logsumexp(), 1000 + Math.log(2), { tolerance: 1e-6 });
    expectTensor(x.var(1), [1, 0], { tolerance: 1e-12 });
    expectTensor(x.var(1, false, 0), [2 / 3, 0], { tolerance: 1e-12 });
    expectTensor(x.var(), 1.6, { tolerance: 1e-12 }); // mean 2, squared deviations 4+1+0+1+1+1 = 8, unbiased /5
    expectTensor(x.std(1), [1, 0], { tolerance: 1e-12 });
    expectTensor(x.std(0, true, 0), [[1.5, 1, 0.5]], { shape: [1, 3], tolerance: 1e-12 });
    expectTensor(tensor([3, -4]).norm(), 5);
    expectTensor(
      tensor([
        [3, -4],
        [1, 1],
      ]).norm(1, 1),
      [7, 2],
    );
    expectTensor(tensor([1, 1, 0], { dtype: 'bool' }).all(), 0, { dtype: 'bool' });
    expectTensor(
      tensor(
        [
          [1, 1],
          [0, 1],
        ],
        { dtype: 'bool' },
      ).all(1),
      [1, 0],
      { dtype: 'bool' },
    );
    expectTensor(
      tensor([
        [0, 0],
        [0, 1],
      ]).any(0),
      [0, 1],
      { dtype: 'bool' },
    );
    expectTensor(tensor([0, 2]).any(), 1, { dtype: 'bool' });
    expectTensor(
      tensor([
        [1, 2],
        [3, 4],
      ]).cumsum(1),
      [
        [1, 3],
        [3, 7],
      ],
    );
  });
});

test('sort and topk', () => {
  noLeak(() => {
    const [sorted, order] = tensor([3, 1, 2]).sort();
    expectTensor(sorted, [1, 2, 3]);
    expectTensor(order, [1, 2, 0], { dtype: 'int64' });
    const [descending] = tensor([[3, 1, 2]]).sort(-1, true);
    expectTensor(descending, [[3, 2, 1]]);
    const [top, at] = tensor([5, 9, 1, 7]).topk(2);
    expectTensor(top, [9, 7]);
    expectTensor(at, [1, 3]);
    const [bottom] = tensor([5, 9, 1, 7]).topk(2, -1, false);
    expectTensor(bottom, [1, 5]);
  });
});

test('matmul for vectors, matrices and batches; bmm; einsum', () => {
  noLeak(() => {
    const a = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const b = tensor([
      [1, 0, -1],
      [2, 1, 0],
    ]);
    expectTensor(
      a.matmul(b),
      [
        [5, 2, -1],
        [11, 4, -3],
        [17, 6, -5],
      ],
      { shape: [3, 3] },
    );
    expectTensor(
      matmul(b, a),
      [
        [-4, -4],
        [5, 8],
      ],
      { shape: [2, 2] },
    );
    expectTensor(a.matmul(tensor([1, -1])), [-1, -1, -1], { shape: [3] });
    expectTensor(tensor([1, 1]).matmul(tensor([2, 3])), 5, { shape: [] });
    // batched matmul broadcasts a plain matrix over the batch
    const batch = tensor([
      [
        [1, 0],
        [0, 1],
      ],
      [
        [2, 0],
        [0, 2],
      ],
    ]);
    expectTensor(
      batch.matmul(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [2, 4],
          [6, 8],
        ],
      ],
      { shape: [2, 2, 2] },
    );
    expectTensor(
      bmm(
        batch,
        tensor([
          [[1], [1]],
          [[1], [-1]],
        ]),
      ),
      [
        [[1], [1]],
        [[2], [-2]],
      ],
      { shape: [2, 2, 1] },
    );
    expectTensor(tensor([[1, 2]], { dtype: 'float64' }).matmul(tensor([[3], [4]], { dtype: 'float64' })), [[11]], {
      dtype: 'float64',
    });
    expectTensor(einsum('ij,jk->ik', a, b), [
      [5, 2, -1],
      [11, 4, -3],
      [17, 6, -5],
    ]);
    expectTensor(
      einsum(
        'ii->',
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
      5,
    );
    assert.throws(() => bmm(a, b), /batch1 must be a 3D tensor|3D/);
  });
});
