import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, type Tensor } from '../../src/tensor/index.js';
import { Adam, AdamW, type AdamOptions } from '../../src/optim/index.js';
import { assertClose, withoutLeaks } from './helpers.js';

// Reference numbers from Debian's PyTorch 1.13 (/usr/bin/python3), float64; mmgen links the same
// libtorch, so they match bit for bit. The second parameter gets no gradient on step 2, so PyTorch
// skips it and its bias correction runs one step behind afterwards:
//   a = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
//   b = torch.tensor([[0.5, -0.25], [2.0, 1.5]], dtype=torch.float64, requires_grad=True)
//   opt = cls([a, b], lr=0.05, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.1)   # cls = Adam, AdamW
//   for k in range(3):
//       opt.zero_grad(set_to_none=True)
//       loss = (0.1 * a ** 3 + a).sum() if k == 1 else (0.1 * a ** 3 + a).sum() + (b * b).sum() * (a.sum())
//       loss.backward(); opt.step(); print(a, b)
const options: AdamOptions = { lr: 0.05, betas: [0.8, 0.95], eps: 1e-3, weightDecay: 0.1 };
const expected: Record<'Adam' | 'AdamW', [number[], number[]][]> = {
  Adam: [
    [
      [0.9500062786463238, -2.0499941612658374, 2.9500047332796897],
      [0.4500243783520234, -0.20004873294346978, 1.9500060968174613, 1.4500081287595512],
    ],
    [
      [0.91193420508458, -2.0901788661947296, 2.906483544527131],
      [0.4500243783520234, -0.20004873294346978, 1.9500060968174613, 1.4500081287595512],
    ],
    [
      [0.8678139525350737, -2.135427685596037, 2.85957930526329],
      [0.4009519383216595, -0.15166891759877787, 1.9005435992330892, 1.4005840711206914],
    ],
  ],
  AdamW: [
    [
      [0.9450063584917657, -2.039994294517031, 2.935004871632484],
      [0.44752498750624686, -0.19879995004995005, 1.9400062492188477, 1.4425083319446759],
    ],
    [
      [0.9025456759557352, -2.070452122140942, 2.8772789647409054],
      [0.44752498750624686, -0.19879995004995005, 1.9400062492188477, 1.4425083319446759],
    ],
    [
      [0.8541090991562539, -2.1055710282360884, 2.8162521375246206],
      [0.39632101977234235, -0.1495603481136889, 1.880929456642212, 1.3859596860709906],
    ],
  ],
};

function backward(step: number, a: Tensor, b: Tensor): void {
  tidy(() => {
    const cubic = a.pow(3).mul(0.1).add(a).sum();
    const loss = step === 1 ? cubic : cubic.add(b.mul(b).sum().mul(a.sum()));
    loss.backward();
  });
}

for (const kind of ['Adam', 'AdamW'] as const) {
  test(`three ${kind} steps equal torch.optim.${kind}, including a step without a gradient`, () =>
    withoutLeaks(() => {
      const a = tensor([1.0, -2.0, 3.0], { dtype: 'float64' }).requiresGrad_();
      const b = tensor(
        [
          [0.5, -0.25],
          [2.0, 1.5],
        ],
        { dtype: 'float64' },
      ).requiresGrad_();
      const optimizer = kind === 'Adam' ? new Adam([a, b], options) : new AdamW([a, b], options);
      expected[kind].forEach(([wantA, wantB], step) => {
        optimizer.zeroGrad();
        backward(step, a, b);
        optimizer.step();
        assertClose(a, wantA, 0, `${kind} step ${step + 1} a`);
        assertClose(b, wantB, 0, `${kind} step ${step + 1} b`);
      });
      assert.equal(optimizer.stepCount, 3);
      const state = optimizer.stateDict();
      assert.equal(state.meta.steps, '3,2');
      assert.equal(state.meta.type, kind);
      assert.deepEqual([...state.tensors.keys()].sort(), ['0.exp_avg', '0.exp_avg_sq', '1.exp_avg', '1.exp_avg_sq']);
      assert.equal(state.tensors.get('1.exp_avg')?.dtype, 'float64');
      optimizer.dispose();
      a.dispose();
      b.dispose();
    }));
}

test('Adam state is created lazily, only for parameters that received a gradient', () =>
  withoutLeaks(() => {
    const used = tensor([1.0, 2.0]).requiresGrad_();
    const unused = tensor([3.0]).requiresGrad_();
    const optimizer = new Adam([used, unused]);
    assert.equal(optimizer.stateDict().tensors.size, 0);
    tidy(() => used.square().sum().backward());
    optimizer.step();
    assert.deepEqual([...optimizer.stateDict().tensors.keys()], ['0.exp_avg', '0.exp_avg_sq']);
    assert.deepEqual(unused.toFlatArray(), [3]);
    // First Adam step moves each coordinate by lr (m / sqrt(v) = sign(g) after bias correction).
    assertClose(used, [1 - 1e-3, 2 - 1e-3], 1e-6, 'after one step');
    optimizer.dispose();
    used.dispose();
    unused.dispose();
  }));

test('AdamW defaults to weight decay 1e-2 and Adam to 0', () =>
  withoutLeaks(() => {
    const param = tensor([1.0]).requiresGrad_();
    const adamW = new AdamW([param]);
    const adam = new Adam([param]);
    assert.equal(adamW.stateDict().meta.weightDecay, 0.01);
    assert.equal(adam.stateDict().meta.weightDecay, 0);
    assert.equal(adam.lr, 1e-3);
    assert.throws(() => new Adam([param], { betas: [1, 0.999] }), /betas\[0\] must be in \[0, 1\)/);
    assert.throws(() => new AdamW([param], { eps: -1 }), /eps must be a finite number >= 0/);
    adamW.dispose();
    adam.dispose();
    param.dispose();
  }));

test('Adam minimises the Rosenbrock function', () =>
  withoutLeaks(() => {
    // f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1); start at the classic (-1.5, 2).
    const point = tensor([-1.5, 2.0], { dtype: 'float64' }).requiresGrad_();
    const optimizer = new Adam([point], { lr: 0.02 });
    const rosenbrock = (): Tensor => {
      const [x, y] = point.unbind(0) as [Tensor, Tensor];
      return x.rsub(1).square().add(y.sub(x.square()).square().mul(100));
    };
    const start = tidy(() => rosenbrock().item());
    for (let step = 0; step < 3000; step++) {
      optimizer.zeroGrad();
      tidy(() => rosenbrock().backward());
      optimizer.step();
    }
    const end = tidy(() => rosenbrock().item());
    assert.ok(start > 10, `start value ${start}`);
    assert.ok(end < 1e-8, `Rosenbrock value after 3000 Adam steps is ${end}, expected < 1e-8`);
    assertClose(point, [1, 1], 1e-3, 'minimum');
    optimizer.zeroGrad();
    optimizer.dispose();
    point.dispose();
  }));

test('AdamW minimises a quadratic towards the weight-decayed optimum', () =>
  withoutLeaks(() => {
    // f(w) = 0.5 |w - t|^2 with decoupled decay λ: the fixed point of AdamW is where the Adam update
    // balances the decay; with small λ it sits close to t, and the loss falls by orders of magnitude.
    const target = tensor([3.0, -1.0, 0.5, 2.0]);
    const weight = tensor([0.0, 0.0, 0.0, 0.0]).requiresGrad_();
    const optimizer = new AdamW([weight], { lr: 0.05, weightDecay: 1e-4 });
    const loss = (): Tensor => weight.sub(target).square().sum().mul(0.5);
    const start = tidy(() => loss().item());
    for (let step = 0; step < 1500; step++) {
      optimizer.zeroGrad();
      tidy(() => loss().backward());
      optimizer.step();
    }
    const end = tidy(() => loss().item());
    assert.ok(end < start * 1e-4, `loss ${start} -> ${end}`);
    assertClose(weight, [3.0, -1.0, 0.5, 2.0], 1e-2, 'optimum');
    optimizer.zeroGrad();
    optimizer.dispose();
    weight.dispose();
    target.dispose();
  }));
