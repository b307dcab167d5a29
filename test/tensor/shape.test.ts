// Shape, view and indexing ops against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, arange, cat, stack } from '../../src/tensor/index.js';
import { expectTensor, noLeak } from './helpers.js';

const grid = (): ReturnType<typeof tensor> => arange(6).reshape(2, 3); // [[0,1,2],[3,4,5]] int64

test('reshape, view, flatten, squeeze, unsqueeze', () => {
  noLeak(() => {
    expectTensor(
      grid(),
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
      { shape: [2, 3], dtype: 'int64' },
    );
    expectTensor(
      grid().reshape(3, -1),
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
      { shape: [3, 2] },
    );
    expectTensor(grid().view(6), [0, 1, 2, 3, 4, 5], { shape: [6] });
    expectTensor(grid().view(1, 2, 3).flatten(), [0, 1, 2, 3, 4, 5], { shape: [6] });
    expectTensor(
      arange(8).view(2, 2, 2).flatten(1),
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ],
      { shape: [2, 4] },
    );
    expectTensor(grid().unsqueeze(1), [[[0, 1, 2]], [[3, 4, 5]]], { shape: [2, 1, 3] });
    expectTensor(
      grid().unsqueeze(-1).squeeze(),
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
      { shape: [2, 3] },
    );
    expectTensor(tensor([[[1]], [[2]]]).squeeze(1), [[1], [2]], { shape: [2, 1] });
    // view shares memory with its source
    const base = tensor([1, 2, 3, 4]);
    const viewed = base.view(2, 2);
    base.fill_(7);
    assert.deepEqual(viewed.toArray(), [
      [7, 7],
      [7, 7],
    ]);
    assert.throws(() => grid().T.view(6), /view size is not compatible/);
    expectTensor(grid().T.reshape(6), [0, 3, 1, 4, 2, 5]);
  });
});

test('permute, transpose, T and expand', () => {
  noLeak(() => {
    expectTensor(
      grid().transpose(0, 1),
      [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
      { shape: [3, 2] },
    );
    expectTensor(grid().T, [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    const cube = arange(8).reshape(2, 2, 2); // cube[i][j][k] = 4i + 2j + k
    expectTensor(
      cube.permute(2, 0, 1),
      [
        [
          [0, 2],
          [4, 6],
        ],
        [
          [1, 3],
          [5, 7],
        ],
      ],
      { shape: [2, 2, 2] },
    );
    expectTensor(
      arange(6).reshape(1, 2, 3).permute(2, 1, 0),
      [
        [[0], [3]],
        [[1], [4]],
        [[2], [5]],
      ],
      { shape: [3, 2, 1] },
    );
    expectTensor(
      tensor([[1], [2]]).expand(2, 3),
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
      { shape: [2, 3] },
    );
    expectTensor(tensor([1, 2]).expand(2, -1), [
      [1, 2],
      [1, 2],
    ]);
    assert.throws(() => tensor([1, 2]).expand(3), /expanded size/);
  });
});

test('cat, stack, split, chunk, unbind, narrow, select, slice', () => {
  noLeak(() => {
    expectTensor(
      cat([grid(), arange(3).view(1, 3)]),
      [
        [0, 1, 2],
        [3, 4, 5],
        [0, 1, 2],
      ],
      { shape: [3, 3] },
    );
    expectTensor(
      cat([grid(), grid()], 1),
      [
        [0, 1, 2, 0, 1, 2],
        [3, 4, 5, 3, 4, 5],
      ],
      { shape: [2, 6] },
    );
    expectTensor(
      stack([tensor([1, 2]), tensor([3, 4])]),
      [
        [1, 2],
        [3, 4],
      ],
      { shape: [2, 2] },
    );
    expectTensor(stack([tensor([1, 2]), tensor([3, 4])], 1), [
      [1, 3],
      [2, 4],
    ]);
    const parts = arange(5).split(2);
    assert.equal(parts.length, 3);
    assert.deepEqual(
      parts.map((p) => p.toArray()),
      [[0, 1], [2, 3], [4]],
    );
    assert.deepEqual(
      arange(6)
        .split([1, 5])
        .map((p) => p.toArray()),
      [[0], [1, 2, 3, 4, 5]],
    );
    assert.deepEqual(
      grid()
        .split(2, 1)
        .map((p) => p.shape),
      [
        [2, 2],
        [2, 1],
      ],
    );
    assert.deepEqual(
      arange(6)
        .chunk(3)
        .map((p) => p.toArray()),
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    );
    assert.deepEqual(
      arange(5)
        .chunk(2)
        .map((p) => p.toArray()),
      [
        [0, 1, 2],
        [3, 4],
      ],
    );
    assert.deepEqual(
      grid()
        .unbind(1)
        .map((p) => p.toArray()),
      [
        [0, 3],
        [1, 4],
        [2, 5],
      ],
    );
    expectTensor(
      grid().narrow(1, 1, 2),
      [
        [1, 2],
        [4, 5],
      ],
      { shape: [2, 2] },
    );
    expectTensor(grid().select(0, 1), [3, 4, 5], { shape: [3] });
    expectTensor(grid().select(1, -1), [2, 5]);
    expectTensor(arange(10).slice(0, 2, 8, 3), [2, 5]);
    expectTensor(arange(5).slice(0, null, -2), [0, 1, 2]);
    expectTensor(arange(5).slice(0, -2), [3, 4]);
  });
});

test('index, indexPut, indexSelect, gather, scatter, scatterAdd', () => {
  noLeak(() => {
    const rows = tensor([1, 0, 1], { dtype: 'int64' });
    const cols = tensor([2, 0, 0], { dtype: 'int64' });
    expectTensor(
      grid().index([rows]),
      [
        [3, 4, 5],
        [0, 1, 2],
        [3, 4, 5],
      ],
      { shape: [3, 3] },
    );
    expectTensor(grid().index([rows, cols]), [5, 0, 3], { shape: [3] });
    expectTensor(grid().index([null, tensor([2, 1], { dtype: 'int64' })]), [
      [2, 1],
      [5, 4],
    ]);
    expectTensor(grid().index([tensor([0, 1], { dtype: 'bool' })]), [[3, 4, 5]]);
    expectTensor(tensor([0, 0, 0]).indexPut([tensor([0, 2], { dtype: 'int64' })], tensor([5, 6])), [5, 0, 6]);
    expectTensor(tensor([0, 0]).indexPut([tensor([1, 1, 0], { dtype: 'int64' })], tensor([1, 2, 3]), true), [3, 3]);
    expectTensor(grid().indexSelect(1, tensor([2, 0], { dtype: 'int64' })), [
      [2, 0],
      [5, 3],
    ]);
    expectTensor(grid().indexSelect(0, tensor([1, 1], { dtype: 'int64' })), [
      [3, 4, 5],
      [3, 4, 5],
    ]);
    const picks = tensor(
      [
        [0, 0],
        [2, 1],
      ],
      { dtype: 'int64' },
    );
    expectTensor(
      grid().gather(1, picks),
      [
        [0, 0],
        [5, 4],
      ],
      { shape: [2, 2] },
    );
    expectTensor(grid().gather(0, tensor([[1, 0, 1]], { dtype: 'int64' })), [[3, 1, 5]]);
    const target = tensor([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expectTensor(target.scatter(1, tensor([[2], [0]], { dtype: 'int64' }), tensor([[7], [8]])), [
      [0, 0, 7],
      [8, 0, 0],
    ]);
    expectTensor(target.scatter(1, tensor([[1], [2]], { dtype: 'int64' }), 1), [
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expectTensor(
      target.scatterAdd(
        1,
        tensor(
          [
            [1, 1],
            [0, 2],
          ],
          { dtype: 'int64' },
        ),
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
      [
        [0, 3, 0],
        [3, 0, 4],
      ],
    );
    assert.deepEqual(
      target.toArray(),
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      'scatter is out of place',
    );
    assert.throws(() => grid().gather(1, tensor([[5]], { dtype: 'int64' })), /out of bounds|index 5/);
  });
});

test('maskedFill, maskedSelect, where-like masks, nonzero, oneHot, tril/triu', () => {
  noLeak(() => {
    const mask = tensor(
      [
        [1, 0, 0],
        [0, 0, 1],
      ],
      { dtype: 'bool' },
    );
    expectTensor(grid().float().maskedFill(mask, -1), [
      [-1, 1, 2],
      [3, 4, -1],
    ]);
    expectTensor(
      grid()
        .float()
        .maskedFill(tensor([1, 0, 1], { dtype: 'bool' }), -Infinity),
      [
        [-Infinity, 1, -Infinity],
        [-Infinity, 4, -Infinity],
      ],
    );
    expectTensor(grid().maskedSelect(mask), [0, 5]);
    expectTensor(tensor([0, 3, 0, 1]).nonzero(), [[1], [3]], { dtype: 'int64', shape: [2, 1] });
    expectTensor(
      tensor([2, 0], { dtype: 'int64' }).oneHot(3),
      [
        [0, 0, 1],
        [1, 0, 0],
      ],
      { dtype: 'int64' },
    );
    expectTensor(
      tensor([
        [1, 2],
        [3, 4],
      ]).tril(),
      [
        [1, 0],
        [3, 4],
      ],
    );
    expectTensor(
      tensor([
        [1, 2],
        [3, 4],
      ]).triu(1),
      [
        [0, 2],
        [0, 0],
      ],
    );
  });
});

test('pad in every mode, flip, roll, repeat, repeatInterleave, unfold', () => {
  noLeak(() => {
    const row = tensor([[[1, 2, 3]]]); // [1, 1, 3]
    expectTensor(row.pad([1, 2]), [[[0, 1, 2, 3, 0, 0]]], { shape: [1, 1, 6] });
    expectTensor(row.pad([1, 0], 'constant', 9), [[[9, 1, 2, 3]]]);
    expectTensor(row.pad([2, 1], 'reflect'), [[[3, 2, 1, 2, 3, 2]]]);
    expectTensor(row.pad([1, 2], 'replicate'), [[[1, 1, 2, 3, 3, 3]]]);
    expectTensor(row.pad([1, 1], 'circular'), [[[3, 1, 2, 3, 1]]]);
    // two dims: last dim first, then the one before
    expectTensor(
      tensor([
        [1, 2],
        [3, 4],
      ]).pad([0, 1, 1, 0]),
      [
        [0, 0, 0],
        [1, 2, 0],
        [3, 4, 0],
      ],
      { shape: [3, 3] },
    );
    expectTensor(
      tensor([
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]).pad([1, 1, 1, 1], 'reflect'),
      [
        [
          [
            [4, 3, 4, 3],
            [2, 1, 2, 1],
            [4, 3, 4, 3],
            [2, 1, 2, 1],
          ],
        ],
      ],
    );
    expectTensor(grid().flip(1), [
      [2, 1, 0],
      [5, 4, 3],
    ]);
    expectTensor(grid().flip(0, 1), [
      [5, 4, 3],
      [2, 1, 0],
    ]);
    expectTensor(arange(4).roll([1], [0]), [3, 0, 1, 2]);
    expectTensor(
      tensor([1, 2]).repeat(2, 2),
      [
        [1, 2, 1, 2],
        [1, 2, 1, 2],
      ],
      { shape: [2, 4] },
    );
    expectTensor(tensor([[1], [2]]).repeat(1, 3), [
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expectTensor(tensor([1, 2]).repeatInterleave(2, 0), [1, 1, 2, 2]);
    expectTensor(
      arange(5).unfold(0, 3, 2),
      [
        [0, 1, 2],
        [2, 3, 4],
      ],
      { shape: [2, 3] },
    );
  });
});
