// Autograd surface: requiresGrad, backward, grad, accumulation, noGrad, detach, higher order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, noGrad, isGradEnabled, grad, zeroGrad, clipGradNorm, takeWarnings } from '../../src/tensor/index.js';
import { expectTensor, noLeak, gradCheck, float64 } from './helpers.js';

test('requiresGrad, isLeaf, backward and grad; gradients accumulate until zeroGrad', () => {
  noLeak(() => {
    const x = tensor([1, 2, 3]);
    assert.equal(x.requiresGrad, false);
    assert.equal(x.grad, null);
    x.requiresGrad_();
    assert.equal(x.requiresGrad, true);
    assert.equal(x.isLeaf, true);
    const y = x.mul(x).sum(); // dy/dx = 2x
    assert.equal(y.requiresGrad, true);
    assert.equal(y.isLeaf, false);
    y.backward();
    expectTensor(x.grad!, [2, 4, 6]);
    x.mul(3).sum().backward();
    expectTensor(x.grad!, [5, 7, 9]);
    zeroGrad([x]);
    assert.equal(x.grad, null);
    x.grad = tensor([1, 1, 1]);
    expectTensor(x.grad!, [1, 1, 1]);
    x.grad = null;
    assert.equal(x.grad, null);
    assert.throws(() => {
      x.grad = tensor([1, 1]);
    }, /assigned grad has shape \[2\] but the tensor has shape \[3\]/);
    assert.throws(() => {
      x.grad = tensor([1, 1, 1], { dtype: 'float64' });
    }, /assigned grad has dtype Double but the tensor has dtype Float/);
    const w = tensor([1, 2]);
    w.requiresGrad = true;
    w.mul(tensor([3, 4])).backward(tensor([1, -1])); // vector-Jacobian product with a given gradient
    expectTensor(w.grad!, [3, -4]);
  });
});

test('backward twice needs retainGraph; the error is libtorch text', () => {
  noLeak(() => {
    const x = tensor([2]).requiresGrad_();
    const y = x.exp().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expectTensor(x.grad!, [2 * Math.exp(2)], { tolerance: 1e-6 });
    const z = x.exp().sum();
    z.backward();
    assert.throws(() => z.backward(), /Trying to backward through the graph a second time/);
    assert.throws(() => tensor([1]).sum().backward(), /does not require grad/);
  });
});

test('noGrad switches recording off and restores it, also after a throw', () => {
  noLeak(() => {
    const x = tensor([1, 2]).requiresGrad_();
    assert.equal(isGradEnabled(), true);
    const inside = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return x.mul(2);
    });
    assert.equal(inside.requiresGrad, false);
    assert.equal(isGradEnabled(), true);
    assert.throws(
      () =>
        noGrad(() => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(isGradEnabled(), true);
    noGrad(() => noGrad(() => undefined));
    assert.equal(isGradEnabled(), true);
    assert.equal(x.mul(2).requiresGrad, true);
  });
});

test('detach cuts the graph and shares memory', () => {
  noLeak(() => {
    const x = tensor([3]).requiresGrad_();
    const detached = x.detach();
    assert.equal(detached.requiresGrad, false);
    x.mul(detached).sum().backward(); // d/dx (x * const) = const
    expectTensor(x.grad!, [3]);
    noGrad(() => x.fill_(5));
    assert.equal(detached.item(), 5, 'detach shares storage');
    // gradCheck notices a wrong gradient: autograd sees x * const, finite differences see x^2
    assert.throws(
      () => gradCheck('detached square', [float64([3], 1)], (v) => v.detach().mul(v).sum()),
      /d loss \/ d input 0/,
    );
  });
});

test('grad() for several inputs, and second order with createGraph', () => {
  noLeak(() => {
    const a = tensor([2], { dtype: 'float64' }).requiresGrad_();
    const b = tensor([5], { dtype: 'float64' }).requiresGrad_();
    const [da, db] = grad(a.mul(a).mul(b).sum(), [a, b]); // d/da = 2ab = 20, d/db = a^2 = 4
    expectTensor(da!, [20]);
    expectTensor(db!, [4]);
    assert.equal(a.grad, null, 'grad() leaves .grad alone');
    const [first] = grad(a.pow(3).sum(), [a], { createGraph: true }); // 3a^2 = 12
    expectTensor(first!.clone(), [12]);
    const [second] = grad(first!.sum(), [a]); // 6a = 12
    expectTensor(second!, [12]);
    // an input the output does not depend on gets zeros
    const [unused] = grad(a.mul(2).sum(), [b]);
    expectTensor(unused!, [0]);
  });
});

test('clipGradNorm scales gradients to the max norm and reports the norm before', () => {
  noLeak(() => {
    const p = tensor([0, 0]).requiresGrad_();
    const q = tensor([0]).requiresGrad_();
    p.mul(tensor([3, 0]))
      .sum()
      .add(q.mul(4).sum())
      .backward(); // grads [3, 0], [4]: norm 5
    assert.ok(Math.abs(clipGradNorm([p, q], 1) - 5) < 1e-6);
    expectTensor(p.grad!, [0.6, 0], { tolerance: 1e-5 });
    expectTensor(q.grad!, [0.8], { tolerance: 1e-5 });
    assert.ok(Math.abs(clipGradNorm([p, q], 10) - 1) < 1e-5);
    expectTensor(q.grad!, [0.8], { tolerance: 1e-5 });
  });
});

test('libtorch warnings are queued for the caller instead of printed', () => {
  noLeak(() => {
    takeWarnings();
    const x = tensor([1, 2]).requiresGrad_();
    const y = x.mul(2);
    assert.equal(y.grad, null);
    assert.equal(y.grad, null); // the same warning twice is queued once
    const warnings = takeWarnings();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /The .grad attribute of a Tensor that is not a leaf Tensor is being accessed/);
    assert.deepEqual(takeWarnings(), [], 'taking empties the queue');
  });
});
