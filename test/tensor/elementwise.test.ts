// Elementwise math, comparisons, where and clamp against hand-computed values, with dtype results
// and broadcasting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, where, maximum, minimum, polar, type Tensor } from '../../src/tensor/index.js';
import { expectTensor, noLeak } from './helpers.js';

test('binary arithmetic with tensors and scalars', () => {
  noLeak(() => {
    const a = tensor([1, -2, 3, 4]);
    const b = tensor([2, 4, -1, 0.5]);
    expectTensor(a.add(b), [3, 2, 2, 4.5], { dtype: 'float32' });
    expectTensor(a.add(b, 2), [5, 6, 1, 5]);
    expectTensor(a.add(1.5), [2.5, -0.5, 4.5, 5.5]);
    expectTensor(a.add(1, 3), [4, 1, 6, 7]);
    expectTensor(a.sub(b), [-1, -6, 4, 3.5]);
    expectTensor(a.sub(1), [0, -3, 2, 3]);
    expectTensor(a.mul(b), [2, -8, -3, 2]);
    expectTensor(a.mul(-2), [-2, 4, -6, -8]);
    expectTensor(a.div(b), [0.5, -0.5, -3, 8]);
    expectTensor(a.div(4), [0.25, -0.5, 0.75, 1]);
    expectTensor(a.pow(2), [1, 4, 9, 16]);
    expectTensor(tensor([4, 9]).pow(tensor([0.5, 2])), [2, 81]);
    expectTensor(a.rsub(10), [9, 12, 7, 6]);
    expectTensor(a.rdiv(12), [12, -6, 4, 3]);
    expectTensor(a.rsub(b), [1, 6, -4, -3.5]);
    expectTensor(a.rdiv(b), [2, -2, -1 / 3, 0.125]);
    expectTensor(maximum(a, b), [2, 4, 3, 4]);
    expectTensor(minimum(a, b), [1, -2, -1, 0.5]);
    expectTensor(a.maximum(0), [1, 0, 3, 4]);
    expectTensor(a.minimum(2), [1, -2, 2, 2]);
    expectTensor(tensor([5, -5, 7.5]).remainder(3), [2, 1, 1.5]);
    expectTensor(tensor([5, -5, 7.5]).floorDivide(2), [2, -3, 3]);
    expectTensor(tensor([1, -1]).atan2(tensor([1, 1])), [Math.PI / 4, -Math.PI / 4]);
  });
});

test('unary math functions', () => {
  noLeak(() => {
    const x = tensor([-1.5, 0, 0.5, 2], { dtype: 'float64' });
    const on = (
      f: (t: Tensor) => Tensor,
      g: (v: number) => number,
      input: number[] = [-1.5, 0, 0.5, 2],
      tolerance = 1e-12,
    ): void => {
      const t = tensor(input, { dtype: 'float64' });
      expectTensor(f(t), input.map(g), { dtype: 'float64', tolerance });
    };
    expectTensor(x.neg(), [1.5, 0, -0.5, -2]);
    expectTensor(x.abs(), [1.5, 0, 0.5, 2]);
    on((t) => t.exp(), Math.exp);
    on((t) => t.log(), Math.log, [0.5, 1, 2, 10]);
    on((t) => t.log1p(), Math.log1p, [0, 1e-10, 1, 3]);
    on((t) => t.log2(), Math.log2, [0.5, 1, 8, 10]);
    on((t) => t.expm1(), Math.expm1);
    on((t) => t.sqrt(), Math.sqrt, [0, 0.25, 2, 9]);
    on(
      (t) => t.rsqrt(),
      (v) => 1 / Math.sqrt(v),
      [0.25, 2, 9],
    );
    on((t) => t.sin(), Math.sin);
    on((t) => t.cos(), Math.cos);
    on((t) => t.atan(), Math.atan);
    on((t) => t.tanh(), Math.tanh);
    on(
      (t) => t.sigmoid(),
      (v) => 1 / (1 + Math.exp(-v)),
    );
    on(
      (t) => t.logSigmoid(),
      (v) => -Math.log1p(Math.exp(-v)),
    );
    on(
      (t) => t.relu(),
      (v) => Math.max(v, 0),
    );
    on(
      (t) => t.silu(),
      (v) => v / (1 + Math.exp(-v)),
    );
    on(
      (t) => t.gelu(),
      (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
      undefined,
      1e-7,
    );
    on(
      (t) => t.gelu('tanh'),
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    );
    on(
      (t) => t.softplus(),
      (v) => Math.log1p(Math.exp(v)),
    );
    on(
      (t) => t.softplus(2, 1),
      (v) => (v * 2 > 1 ? v : Math.log1p(Math.exp(2 * v)) / 2),
    );
    on(
      (t) => t.leakyRelu(0.1),
      (v) => (v > 0 ? v : 0.1 * v),
    );
    on(
      (t) => t.elu(),
      (v) => (v > 0 ? v : Math.expm1(v)),
    );
    on(
      (t) => t.hardtanh(-1, 1),
      (v) => Math.min(1, Math.max(-1, v)),
    );
    on((t) => t.sign(), Math.sign);
    on((t) => t.floor(), Math.floor);
    on((t) => t.ceil(), Math.ceil);
    on(
      (t) => t.round(),
      (v) => v,
      [-2, 0, 1, 3],
    );
    expectTensor(tensor([0.5, 1.5, 2.5, -0.5]).round(), [0, 2, 2, -0], { tolerance: 0 }); // half to even, as PyTorch
    on(
      (t) => t.reciprocal(),
      (v) => 1 / v,
      [-1.5, 0.5, 2],
    );
    on(
      (t) => t.square(),
      (v) => v * v,
    );
    on((t) => t.erf(), erf, undefined, 1e-7);
    expectTensor(tensor([1, NaN, Infinity]).isnan(), [0, 1, 0], { dtype: 'bool' });
    expectTensor(tensor([1, NaN, -Infinity]).isfinite(), [1, 0, 0], { dtype: 'bool' });
  });
});

test('comparisons and logical ops give bool tensors', () => {
  noLeak(() => {
    const a = tensor([1, 2, 3]);
    const b = tensor([3, 2, 1]);
    expectTensor(a.eq(b), [0, 1, 0], { dtype: 'bool' });
    expectTensor(a.ne(b), [1, 0, 1], { dtype: 'bool' });
    expectTensor(a.lt(b), [1, 0, 0], { dtype: 'bool' });
    expectTensor(a.le(b), [1, 1, 0], { dtype: 'bool' });
    expectTensor(a.gt(b), [0, 0, 1], { dtype: 'bool' });
    expectTensor(a.ge(b), [0, 1, 1], { dtype: 'bool' });
    expectTensor(a.gt(1.5), [0, 1, 1], { dtype: 'bool' });
    expectTensor(a.eq(2), [0, 1, 0], { dtype: 'bool' });
    const p = tensor([1, 1, 0, 0], { dtype: 'bool' });
    const q = tensor([1, 0, 1, 0], { dtype: 'bool' });
    expectTensor(p.logicalAnd(q), [1, 0, 0, 0], { dtype: 'bool' });
    expectTensor(p.logicalOr(q), [1, 1, 1, 0], { dtype: 'bool' });
    expectTensor(p.logicalXor(q), [0, 1, 1, 0], { dtype: 'bool' });
    expectTensor(p.logicalNot(), [0, 0, 1, 1], { dtype: 'bool' });
    const ints = tensor([1, 5], { dtype: 'int64' });
    expectTensor(ints.lt(Infinity), [1, 1], { dtype: 'bool' });
    expectTensor(ints.gt(-Infinity), [1, 1], { dtype: 'bool' });
    expectTensor(ints.lt(2.5), [1, 0], { dtype: 'bool' });
  });
});

test('scalar ops on int tensors stay int; fractional scalars and division promote', () => {
  noLeak(() => {
    const i64 = tensor([1, 2, 3], { dtype: 'int64' });
    const i32 = tensor([4, -6], { dtype: 'int32' });
    const u8 = tensor([250, 3], { dtype: 'uint8' });
    expectTensor(i64.add(1), [2, 3, 4], { dtype: 'int64' });
    expectTensor(i64.sub(5), [-4, -3, -2], { dtype: 'int64' });
    expectTensor(i64.mul(3), [3, 6, 9], { dtype: 'int64' });
    expectTensor(i64.pow(2), [1, 4, 9], { dtype: 'int64' });
    expectTensor(i64.rsub(10), [9, 8, 7], { dtype: 'int64' });
    expectTensor(i64.remainder(2), [1, 0, 1], { dtype: 'int64' });
    expectTensor(i64.floorDivide(2), [0, 1, 1], { dtype: 'int64' });
    expectTensor(i64.maximum(2), [2, 2, 3], { dtype: 'int64' });
    expectTensor(i32.add(1), [5, -5], { dtype: 'int32' });
    expectTensor(i32.mul(2), [8, -12], { dtype: 'int32' });
    expectTensor(u8.add(10), [4, 13], { dtype: 'uint8' }); // wraps, as PyTorch
    expectTensor(i64.add(0.5), [1.5, 2.5, 3.5], { dtype: 'float32' });
    expectTensor(i64.mul(1.5), [1.5, 3, 4.5], { dtype: 'float32' });
    expectTensor(i64.div(2), [0.5, 1, 1.5], { dtype: 'float32' });
    expectTensor(i64.add(i64), [2, 4, 6], { dtype: 'int64' });
    expectTensor(i64.add(tensor([0.5, 0.5, 0.5])), [1.5, 2.5, 3.5], { dtype: 'float32' });
    expectTensor(i32.add(i64.narrow(0, 0, 2)), [5, -4], { dtype: 'int64' });
    expectTensor(tensor([1, 0], { dtype: 'bool' }).add(1), [2, 1], { dtype: 'int64' });
    expectTensor(tensor([1, 2], { dtype: 'float64' }).add(tensor([1, 1])), [2, 3], { dtype: 'float64' });
    expectTensor(i64.clamp(2, null), [2, 2, 3], { dtype: 'int64' });
    expectTensor(i64.clamp(1.5, 2.5), [1.5, 2, 2.5], { dtype: 'float32' });
    expectTensor(i64.abs(), [1, 2, 3], { dtype: 'int64' });
    expectTensor(i64.neg(), [-1, -2, -3], { dtype: 'int64' });
  });
});

test('scalar edge cases: out-of-range, NaN, exact int64, reversed ops on every dtype', () => {
  noLeak(() => {
    expectTensor(tensor([1]).add(1e40), [Infinity], { dtype: 'float32' });
    expectTensor(tensor([1], { dtype: 'float64' }).add(1e40), [1e40], { dtype: 'float64' });
    expectTensor(tensor([1]).mul(NaN), [NaN]);
    expectTensor(tensor([1], { dtype: 'int64' }).add(NaN), [NaN], { dtype: 'float32' });
    expectTensor(tensor([0.1, 0.2]).eq(0.1), [1, 0], { dtype: 'bool' }); // the number is rounded to float32 like the tensor
    expectTensor(tensor([0.1], { dtype: 'float64' }).eq(0.1), [1], { dtype: 'bool' });
    assert.equal(
      tensor([0], { dtype: 'int64' })
        .add(2 ** 53)
        .item(),
      2 ** 53,
    );
    expectTensor(tensor([1, 2, 4], { dtype: 'int64' }).rdiv(1), [1, 0.5, 0.25], { dtype: 'float32' });
    expectTensor(tensor([1, 2], { dtype: 'int32' }).rdiv(2), [2, 1], { dtype: 'float32' });
    expectTensor(tensor([1, 2], { dtype: 'float64' }).rdiv(3), [3, 1.5], { dtype: 'float64' });
    expectTensor(tensor([250], { dtype: 'uint8' }).rsub(1), [7], { dtype: 'uint8' });
    expectTensor(tensor([2], { dtype: 'int32' }).rsub(1), [-1], { dtype: 'int32' });
    expectTensor(tensor([2], { dtype: 'int64' }).rsub(0.5), [-1.5], { dtype: 'float32' });
    expectTensor(tensor([1, 0], { dtype: 'bool' }).mul(2.5), [2.5, 0], { dtype: 'float32' });
    expectTensor(tensor([5, -5], { dtype: 'int64' }).remainder(-3), [-1, -2], { dtype: 'int64' });
    expectTensor(tensor([5.5, -5.5]).floorDivide(-2), [-3, 2], { dtype: 'float32' });
    expectTensor(tensor([3], { dtype: 'int32' }).lt(3.5), [1], { dtype: 'bool' });
    expectTensor(tensor([1.5], { dtype: 'float64' }).pow(2), [2.25], { dtype: 'float64' });
    expectTensor(tensor([1, 2]).rdiv(0), [0, 0]);
  });
});

test('broadcasting follows NumPy rules', () => {
  noLeak(() => {
    const column = tensor([[1], [2]]);
    const row = tensor([10, 20, 30]);
    expectTensor(
      column.add(row),
      [
        [11, 21, 31],
        [12, 22, 32],
      ],
      { shape: [2, 3] },
    );
    expectTensor(
      column.mul(row),
      [
        [10, 20, 30],
        [20, 40, 60],
      ],
      { shape: [2, 3] },
    );
    expectTensor(row.sub(column), [
      [9, 19, 29],
      [8, 18, 28],
    ]);
    expectTensor(
      tensor([[[1, 2]]]).add(tensor([[1], [2], [3]])),
      [
        [
          [2, 3],
          [3, 4],
          [4, 5],
        ],
      ],
      { shape: [1, 3, 2] },
    );
    expectTensor(
      column.gt(row.div(10).sub(1)),
      [
        [1, 0, 0],
        [1, 1, 0],
      ],
      { dtype: 'bool' },
    );
    expectTensor(tensor(2).mul(row), [20, 40, 60], { shape: [3] });
  });
});

test('where and clamp', () => {
  noLeak(() => {
    const x = tensor([-2, -0.5, 0.5, 2]);
    expectTensor(where(x.gt(0), x, x.mul(-10)), [20, 5, 0.5, 2]);
    // condition broadcasts against both branches
    expectTensor(where(tensor([[1], [0]], { dtype: 'bool' }), tensor([1, 2]), tensor([[7], [8]])), [
      [1, 2],
      [8, 8],
    ]);
    expectTensor(
      where(tensor([1, 0], { dtype: 'bool' }), tensor([1, 2], { dtype: 'int64' }), tensor([5, 6], { dtype: 'int64' })),
      [1, 6],
      { dtype: 'int64' },
    );
    expectTensor(x.clamp(-1, 1), [-1, -0.5, 0.5, 1]);
    expectTensor(x.clamp(0), [0, 0, 0.5, 2]);
    expectTensor(x.clamp(null, 0), [-2, -0.5, 0, 0]);
  });
});

test('complex tensors: polar, magnitude, phase, real and imaginary parts', () => {
  noLeak(() => {
    const z = polar(tensor([2, 1]), tensor([0, Math.PI / 2]));
    assert.equal(z.dtype, 'complex64');
    expectTensor(z.abs(), [2, 1], { dtype: 'float32' });
    expectTensor(z.angle(), [0, Math.PI / 2], { dtype: 'float32' });
    expectTensor(z.real(), [2, 0], { tolerance: 1e-6 });
    expectTensor(z.imag(), [0, 1], { tolerance: 1e-6 });
    expectTensor(z.conj().imag(), [0, -1], { tolerance: 1e-6 });
    expectTensor(
      z.viewAsReal(),
      [
        [2, 0],
        [0, 1],
      ],
      { shape: [2, 2], tolerance: 1e-6 },
    );
    expectTensor(
      tensor([[3, 4]])
        .viewAsComplex()
        .abs(),
      [5],
      { shape: [1] },
    );
    assert.throws(() => z.toArray(), /complex tensors cannot be read directly/);
  });
});

/** erf by Abramowitz-Stegun 7.1.26 is too coarse; use the series/continued fraction via Math for tests. */
function erf(x: number): number {
  // Maclaurin series converges quickly for |x| <= 3 (all test inputs)
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
