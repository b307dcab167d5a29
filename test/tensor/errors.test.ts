// libtorch exceptions become JS Errors with libtorch's message, and the process carries on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, ones, memory, wrapHandle, F, type DType } from '../../src/tensor/index.js';
import { native } from '../../src/tensor/native.js';
import { expectTensor, noLeak } from './helpers.js';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Error, 'thrown value is an Error');
    return error;
  }
  assert.fail('expected a throw');
}

test('a shape error throws a JS Error carrying libtorch text; the next op works', () => {
  noLeak(() => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const error = errorOf(() => a.matmul(a));
    assert.match(error.message, /mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
    assert.doesNotMatch(error.message, /Exception raised from/, 'no C++ backtrace in the message');
    expectTensor(a.matmul(a.T), [
      [14, 32],
      [32, 77],
    ]);
    assert.match(
      errorOf(() => a.add(tensor([1, 2]))).message,
      /The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1/,
    );
    assert.match(errorOf(() => a.view(4)).message, /shape '\[4\]' is invalid for input of size 6/);
    assert.match(
      errorOf(() => F.conv2d(ones([1, 2, 4, 4]), ones([1, 3, 3, 3]))).message,
      /expected input\[1, 2, 4, 4\] to have 3 channels, but got 2 channels/,
    );
    expectTensor(a.sum(), 21);
  });
});

test('a dtype error throws a JS Error carrying libtorch text; the next op works', () => {
  noLeak(() => {
    const f32 = tensor([[1, 2]]);
    const f64 = tensor([[3], [4]], { dtype: 'float64' });
    assert.match(errorOf(() => f32.matmul(f64)).message, /expected scalar type Float but found Double/);
    assert.match(errorOf(() => f32.gather(1, tensor([[0]]))).message, /gather\(\): Expected dtype int64 for index/);
    assert.match(
      errorOf(() => tensor([1], { dtype: 'int64' }).mean()).message,
      /mean\(\): could not infer output dtype/,
    );
    assert.match(
      errorOf(() => f32.index([tensor([0.5])])).message,
      /tensors used as indices must be long, byte or bool tensors/,
    );
    expectTensor(f32.matmul(f64.float()), [[11]]);
  });
});

test('thousands of failing calls neither crash nor leak', () => {
  noLeak(() => {
    const before = memory().tensors;
    const a = ones([2, 3]);
    let failures = 0;
    for (let i = 0; i < 2000; i++) {
      try {
        a.matmul(a);
      } catch {
        failures++;
      }
    }
    assert.equal(failures, 2000);
    assert.equal(memory().tensors, before + 1);
  });
});

test('use after dispose throws a clear Error, in methods, as an argument and natively', () => {
  noLeak(() => {
    const t = tensor([1, 2]);
    const other = tensor([3, 4]);
    t.dispose();
    assert.equal(t.isDisposed, true);
    t.dispose(); // a second dispose is a no-op
    assert.throws(() => t.add(1), /this tensor was disposed; keep\(\) it or return it from tidy\(\) to use it later/);
    assert.throws(() => t.shape, /this tensor was disposed/);
    assert.throws(() => t.toArray(), /this tensor was disposed/);
    assert.throws(() => other.add(t), /this tensor was disposed/);
    assert.throws(() => F.softmax(t), /this tensor was disposed/);
    assert.throws(() => F.conv1d(other.view(1, 1, 2), t), /this tensor was disposed/);
    // a stale handle reaching the addon directly is caught there too
    const stale = zeros([1]);
    const handle = stale.id;
    stale.dispose();
    assert.throws(() => native().shape(handle), /tensor was disposed \(handle \d+\)/);
    assert.throws(() => wrapHandle(123456789).add(1), /tensor was disposed \(handle 123456789\)/);
    expectTensor(other.add(1), [4, 5]);
  });
});

test('a bad dtype name or typed array is refused with the valid choices', () => {
  noLeak(() => {
    assert.throws(
      () => zeros([2], 'float16' as DType),
      /unknown dtype "float16"; use one of float32, float64, int64, int32, uint8, bool/,
    );
    assert.throws(() => tensor([1]).to('half' as DType), /unknown dtype "half"/);
    assert.throws(() => tensor(new Int16Array(2) as unknown as Float32Array), /unsupported typed array Int16Array/);
    assert.throws(() => native().zeros([2], 42), /unknown dtype code 42/);
  });
});

test('arguments of the wrong JS type throw instead of crashing', () => {
  noLeak(() => {
    const t = tensor([1, 2]);
    assert.throws(() => native().reshape(t.id, 'x' as unknown as number[]), Error);
    assert.throws(() => native().unary(0, 'nope' as unknown as number), /expected a tensor handle/);
    assert.throws(() => native().unary(99, t.id), /unknown unary op code 99/);
    assert.throws(() => native().binaryScalar(13, t.id, 1), /has no scalar form/);
    expectTensor(t.mul(2), [2, 4]);
  });
});
