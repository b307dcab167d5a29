// Creation, dtypes and reading data back to JS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor,
  zeros,
  ones,
  full,
  arange,
  linspace,
  eye,
  scalar,
  empty,
  zerosLike,
  onesLike,
  fullLike,
  getNumThreads,
  setNumThreads,
  runtimeInfo,
  type DType,
} from '../../src/tensor/index.js';
import { expectTensor, noLeak, assertClose } from './helpers.js';

test('every dtype round-trips through a typed array', () => {
  noLeak(() => {
    const cases: [DType, ArrayLike<number | bigint>, string][] = [
      ['float32', Float32Array.of(1.5, -2, 3.25), 'Float32Array'],
      ['float64', Float64Array.of(1e-300, -2.5, Math.PI), 'Float64Array'],
      ['int64', BigInt64Array.of(2n ** 40n, -3n, 0n), 'BigInt64Array'],
      ['int32', Int32Array.of(-2147483648, 7, 2147483647), 'Int32Array'],
      ['uint8', Uint8Array.of(0, 200, 255), 'Uint8Array'],
    ];
    for (const [dtype, data, kind] of cases) {
      const t = tensor(data as Float32Array, { shape: [3] });
      assert.equal(t.dtype, dtype);
      const back = t.dataSync();
      assert.equal(back.constructor.name, kind);
      assert.deepEqual(Array.from(back as ArrayLike<number | bigint>), Array.from(data));
    }
    const flags = tensor(Uint8Array.of(1, 0, 1), { dtype: 'bool' });
    assert.equal(flags.dtype, 'bool');
    assert.deepEqual(flags.toArray(), [1, 0, 1]);
  });
});

test('bool tensors from bytes other than 0/1 read back as 0/1', () => {
  noLeak(() => {
    const flags = tensor(Uint8Array.of(0, 2, 255), { dtype: 'bool' });
    assert.deepEqual(flags.toArray(), [0, 1, 1]);
    expectTensor(flags.sum(), 2, { dtype: 'int64' });
  });
});

test('nested arrays set the shape; dtype option converts', () => {
  noLeak(() => {
    expectTensor(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float32', shape: [2, 3] },
    );
    expectTensor(tensor([[1.9, -2.9]], { dtype: 'int64' }), [[1, -2]], { dtype: 'int64', shape: [1, 2] });
    expectTensor(tensor([1, 0, 3], { dtype: 'bool' }), [1, 0, 1], { dtype: 'bool' });
    expectTensor(
      tensor(Float32Array.of(1, 2, 3, 4, 5, 6), { shape: [3, 2] }),
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { shape: [3, 2] },
    );
    expectTensor(tensor(BigInt64Array.of(1n, 2n), { dtype: 'float64' }), [1, 2], { dtype: 'float64' });
    // a view into a larger buffer copies only its own elements
    expectTensor(tensor(Float32Array.of(1, 2, 3, 4).subarray(1, 3)), [2, 3], { shape: [2] });
    expectTensor(tensor(new Int32Array(new ArrayBuffer(16), 4, 2).fill(7)), [7, 7], { dtype: 'int32' });
    const s = tensor(7);
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 7);
    assert.equal(s.toArray(), 7);
    assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
    assert.throws(() => tensor(Float32Array.of(1, 2, 3), { shape: [2, 2] }), /3 elements but shape \[2, 2\] needs 4/);
  });
});

test('zeros, ones, full, empty and the *Like forms', () => {
  noLeak(() => {
    expectTensor(
      zeros([2, 2]),
      [
        [0, 0],
        [0, 0],
      ],
      { dtype: 'float32' },
    );
    expectTensor(ones([3], 'int32'), [1, 1, 1], { dtype: 'int32' });
    expectTensor(full([2], 2.5, 'float64'), [2.5, 2.5], { dtype: 'float64' });
    expectTensor(full([2], 4, 'int64'), [4, 4], { dtype: 'int64' });
    expectTensor(ones([2], 'bool'), [1, 1], { dtype: 'bool' });
    expectTensor(zeros([2], 'uint8'), [0, 0], { dtype: 'uint8' });
    const e = empty([4, 0]);
    assert.deepEqual(e.shape, [4, 0]);
    assert.equal(e.size, 0);
    const base = full([2, 3], 3, 'int32');
    expectTensor(
      zerosLike(base),
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      { dtype: 'int32', shape: [2, 3] },
    );
    expectTensor(
      onesLike(base),
      [
        [1, 1, 1],
        [1, 1, 1],
      ],
      { dtype: 'int32' },
    );
    expectTensor(
      fullLike(base, -1),
      [
        [-1, -1, -1],
        [-1, -1, -1],
      ],
      { dtype: 'int32' },
    );
    expectTensor(scalar(3, 'float64'), 3, { dtype: 'float64', shape: [] });
  });
});

test('arange, linspace and eye', () => {
  noLeak(() => {
    expectTensor(arange(5), [0, 1, 2, 3, 4], { dtype: 'int64' });
    expectTensor(arange(2, 8, 3), [2, 5], { dtype: 'int64' });
    expectTensor(arange(0, 1, 0.25), [0, 0.25, 0.5, 0.75], { dtype: 'float32' });
    expectTensor(arange(3, undefined, 1, 'float64'), [0, 1, 2], { dtype: 'float64' });
    expectTensor(arange(5, 0, -2), [5, 3, 1], { dtype: 'int64' });
    expectTensor(linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1], { dtype: 'float32' });
    expectTensor(linspace(-1, 1, 3, 'float64'), [-1, 0, 1], { dtype: 'float64' });
    expectTensor(
      eye(3),
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      { dtype: 'float32' },
    );
    expectTensor(
      eye(2, 3, 'int64'),
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
      { dtype: 'int64' },
    );
  });
});

test('toArray, toFlatArray, item, shape metadata and conversions', () => {
  noLeak(() => {
    const t = tensor([[[1, 2]], [[3, 4]]]);
    assert.deepEqual(t.shape, [2, 1, 2]);
    assert.equal(t.rank, 3);
    assert.equal(t.size, 4);
    assert.deepEqual(t.toArray(), [[[1, 2]], [[3, 4]]]);
    assert.deepEqual(t.toFlatArray(), [1, 2, 3, 4]);
    assert.equal(t.toString(), 'Tensor(float32, [2, 1, 2])');
    // a non-contiguous view reads back in logical order
    assert.deepEqual(
      tensor([
        [1, 2],
        [3, 4],
      ]).T.toArray(),
      [
        [1, 3],
        [2, 4],
      ],
    );
    expectTensor(tensor([1.7, -1.7]).to('int32'), [1, -1], { dtype: 'int32' });
    expectTensor(tensor([1, 2], { dtype: 'int64' }).float(), [1, 2], { dtype: 'float32' });
    expectTensor(tensor([1.5]).long(), [1], { dtype: 'int64' });
    expectTensor(tensor([0, 3]).to('bool'), [0, 1], { dtype: 'bool' });
    assert.equal(tensor([2 ** 40], { dtype: 'int64' }).item(), 2 ** 40);
    assertClose(tensor([0.1], { dtype: 'float64' }).item(), 0.1, 0);
    assert.throws(() => tensor([1, 2]).item(), /one element/);
    const original = tensor([1, 2]);
    const copy = original.clone();
    copy.fill_(9);
    assert.deepEqual(original.toArray(), [1, 2]);
    assert.deepEqual(copy.toArray(), [9, 9]);
    assert.deepEqual(
      tensor([
        [1, 2],
        [3, 4],
      ])
        .T.contiguous()
        .toFlatArray(),
      [1, 3, 2, 4],
    );
  });
});

test('intra-op threads default to 1 and are a setting', () => {
  if (process.env.MMGEN_THREADS === undefined) assert.equal(getNumThreads(), 1);
  assert.equal(process.env.OPENBLAS_NUM_THREADS, process.env.MMGEN_THREADS ?? '1');
  const original = getNumThreads();
  setNumThreads(2);
  assert.equal(getNumThreads(), 2);
  setNumThreads(original);
  assert.equal(getNumThreads(), original);
  assert.throws(() => setNumThreads(0), /thread count must be a positive integer, got 0/);
  assert.match(runtimeInfo().torch, /^\d+\.\d+/);
});
