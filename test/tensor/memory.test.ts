// Memory: tidy scopes, keep, dispose, live-tensor count and native bytes; a leak-free training loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor,
  zeros,
  ones,
  randn,
  tidy,
  keep,
  dispose,
  memory,
  noGrad,
  zeroGrad,
  Generator,
  F,
  type Tensor,
} from '../../src/tensor/index.js';
import { native } from '../../src/tensor/native.js';

test('tidy frees everything except what it returns, found inside arrays, objects and Maps', () => {
  const before = memory().tensors;
  const result = tidy(() => {
    const a = ones([2]);
    const b = a.add(1); // freed
    b.mul(2); // freed
    return {
      pair: [a.mul(3), b.sub(1)],
      nested: { deep: [[a.neg()]] },
      map: new Map([['x', a.add(10)]]),
      set: new Set([a.add(20)]),
      label: 'kept as is',
    };
  });
  assert.equal(memory().tensors, before + 5, 'exactly the five returned tensors survive');
  assert.deepEqual([...result.set][0]?.toArray(), [21, 21]);
  assert.deepEqual(result.pair[0]?.toArray(), [3, 3]);
  assert.deepEqual(result.pair[1]?.toArray(), [1, 1]);
  assert.deepEqual(result.nested.deep[0]?.[0]?.toArray(), [-1, -1]);
  assert.deepEqual(result.map.get('x')?.toArray(), [11, 11]);
  assert.equal(result.label, 'kept as is');
  dispose(result);
  assert.equal(memory().tensors, before);
  // a lone returned tensor
  const single = tidy(() => ones([3]).add(ones([3])));
  assert.equal(memory().tensors, before + 1);
  single.dispose();
  assert.equal(memory().tensors, before);
});

test('nested tidy hands returned tensors to the enclosing scope', () => {
  const before = memory().tensors;
  let inner: Tensor | undefined;
  const outer = tidy(() => {
    inner = tidy(() => ones([2]).mul(5));
    assert.equal(inner.isDisposed, false);
    return inner.add(1); // inner itself is not returned from the outer scope
  });
  assert.equal(inner?.isDisposed, true, 'the inner result belonged to the outer scope, which freed it');
  assert.deepEqual(outer.toArray(), [6, 6]);
  outer.dispose();
  assert.equal(memory().tensors, before);
});

test('keep() survives every enclosing tidy; tensors made outside a scope are not touched', () => {
  const before = memory().tensors;
  const outside = ones([2]);
  let owned: Tensor | undefined;
  const nothing = tidy(() =>
    tidy(() => {
      owned = keep(ones([4]).mul(2));
      outside.add(1);
      return null;
    }),
  );
  assert.equal(nothing, null);
  assert.equal(memory().tensors, before + 2, 'outside tensor and the kept one remain');
  assert.equal(outside.isDisposed, false);
  const survivor = tidy(() => keep(zeros([1])));
  assert.equal(survivor.kept, true);
  dispose([outside, survivor]);
  assert.equal(
    memory().tensors,
    before + 1,
    'a kept tensor nobody returned stays until disposed: keep() means the caller owns it',
  );
  assert.deepEqual(owned?.toArray(), [2, 2, 2, 2]);
  owned?.dispose();
  assert.equal(memory().tensors, before);
});

test('tidy frees its tensors when the function throws, including libtorch errors', () => {
  const before = memory().tensors;
  assert.throws(
    () =>
      tidy(() => {
        const a = ones([2, 3]);
        a.add(1);
        return a.matmul(a);
      }),
    /mat1 and mat2 shapes cannot be multiplied/,
  );
  assert.throws(
    () =>
      tidy(() => {
        tidy(() => ones([5]));
        throw new Error('plain JS failure');
      }),
    /plain JS failure/,
  );
  assert.equal(memory().tensors, before);
  assert.throws(() => tidy(async () => ones([1])), /tidy\(\) takes a synchronous function/);
});

test('liveBytes follows element count times element size', () => {
  const start = memory();
  const floats = zeros([1000]);
  assert.equal(memory().bytes - start.bytes, 4000);
  const doubles = zeros([10, 10], 'float64');
  const longs = zeros([3], 'int64');
  const flags = zeros([7], 'bool');
  assert.equal(memory().bytes - start.bytes, 4000 + 800 + 24 + 7);
  assert.equal(memory().tensors - start.tensors, 4);
  floats.dispose();
  assert.equal(memory().bytes - start.bytes, 800 + 24 + 7);
  dispose([doubles, longs, flags]);
  assert.deepEqual(memory(), start);
  // a big tensor moves the figure by its size, and back
  const big = randn([256, 1024]);
  assert.equal(memory().bytes - start.bytes, 256 * 1024 * 4);
  big.dispose();
  assert.deepEqual(memory(), start);
});

test('native bytes are reported to V8 as external memory (in 1 MiB batches)', () => {
  const start = native().reportedExternalBytes();
  const big = zeros([4096, 1024]); // 16 MiB
  const grown = native().reportedExternalBytes() - start;
  assert.ok(grown >= 15 * 2 ** 20 && grown <= 17 * 2 ** 20, `V8 was told of ${grown} bytes for a 16 MiB tensor`);
  big.dispose();
  const after = native().reportedExternalBytes() - start;
  assert.ok(Math.abs(after) <= 2 ** 20, `back within one reporting batch after dispose, got ${after}`);
});

test('a 200-step MLP trained with raw ops and manual SGD ends with no leaked tensors and a falling loss', () => {
  const before = memory();
  const generator = new Generator(0);
  // y = sin(3 x0) + x1^2 on 128 points
  const inputs = keep(randn([128, 2], { generator }));
  const targets = keep(tidy(() => inputs.select(1, 0).mul(3).sin().add(inputs.select(1, 1).square()).unsqueeze(1)));
  const params = tidy(() => [
    randn([2, 32], { generator }).mul(0.5),
    zeros([32]),
    randn([32, 1], { generator }).mul(0.2),
    zeros([1]),
  ]).map((p) => keep(p).requiresGrad_());
  const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  const losses: number[] = [];
  const afterSetup = memory().tensors;
  for (let step = 0; step < 200; step++) {
    const loss = tidy(() => {
      const hidden = inputs.matmul(w1).add(b1).tanh();
      const value = F.mseLoss(hidden.matmul(w2).add(b2), targets);
      value.backward();
      noGrad(() => {
        for (const p of params) p.copy_(p.sub(p.grad!.mul(0.1)));
      });
      zeroGrad(params);
      return value.item();
    });
    losses.push(loss);
    assert.equal(memory().tensors, afterSetup, `live tensors after step ${step}`);
  }
  const first = losses[0] ?? NaN;
  const last = losses[losses.length - 1] ?? NaN;
  assert.ok(last < first * 0.3, `loss fell from ${first} to ${last}`);
  dispose([inputs, targets, ...params]);
  generator.dispose();
  assert.deepEqual(memory(), before);
});

test('scopes stay cheap: 10000 tensors in one tidy are all freed', () => {
  const before = memory();
  tidy(() => {
    const x = ones([4]);
    for (let i = 0; i < 10000; i++) x.add(i);
  });
  assert.deepEqual(memory(), before);
  const values = tensor([1, 2]);
  tidy(() => {
    values.dispose(); // disposing a tensor the scope does not own is fine
  });
  assert.deepEqual(memory(), before);
});
