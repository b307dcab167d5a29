import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy, type Tensor } from '../../src/tensor/index.js';
import { SGD, type SGDOptions } from '../../src/optim/index.js';
import { assertClose, withoutLeaks } from './helpers.js';

// Reference numbers from Debian's PyTorch 1.13 (/usr/bin/python3), float32:
//   p = torch.tensor([1.0, -2.0, 3.0, 0.5], requires_grad=True)
//   opt = torch.optim.SGD([p], lr=0.1); p.grad = torch.tensor([0.1, -0.2, 0.3, 4.0]); opt.step()
//   print([float(v) for v in p.detach()])
test('one plain SGD step equals torch.optim.SGD', () =>
  withoutLeaks(() => {
    const param = tensor([1.0, -2.0, 3.0, 0.5]).requiresGrad_();
    const optimizer = new SGD([param], { lr: 0.1 });
    const gradient = tensor([0.1, -0.2, 0.3, 4.0]);
    param.grad = gradient;
    optimizer.step();
    assert.deepEqual(
      param.toFlatArray(),
      [0.9900000095367432, -1.9800000190734863, 2.9700000286102295, 0.09999999403953552],
    );
    assert.equal(optimizer.stepCount, 1);
    optimizer.zeroGrad();
    assert.equal(param.grad, null);
    optimizer.dispose();
    gradient.dispose();
    param.dispose();
  }));

// x = torch.tensor([0.5, -1.0, 2.0, 0.25]); loss = (0.1 * p * p * p + x * p).sum()
// for cfg in [dict(momentum=0.9, nesterov=True, weight_decay=0.01), dict(momentum=0.9, dampening=0.1, weight_decay=0.05)]:
//     p = torch.tensor([1.0, -2.0, 3.0, 0.5], requires_grad=True); opt = torch.optim.SGD([p], lr=0.05, **cfg)
//     for _ in range(4): opt.zero_grad(set_to_none=True); loss(p).backward(); opt.step(); print(p)
const sequences: [SGDOptions, number[][]][] = [
  [
    { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
    [
      [0.9230499863624573, -2.0171000957489014, 2.550649881362915, 0.4686499834060669],
      [0.8175854682922363, -2.043431520462036, 1.981245994567871, 0.42483022809028625],
      [0.6897576451301575, -2.080173969268799, 1.3440046310424805, 0.37052109837532043],
      [0.5448899865150452, -2.1291377544403076, 0.6716132760047913, 0.30750590562820435],
    ],
  ],
  [
    { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.05 },
    [
      [0.9574999809265137, -2.005000114440918, 2.757499933242798, 0.48249998688697815],
      [0.8822187185287476, -2.014259099960327, 2.3403942584991455, 0.4512714743614197],
      [0.7794734239578247, -2.0278329849243164, 1.7957876920700073, 0.408151239156723],
      [0.6545464992523193, -2.0460002422332764, 1.1680656671524048, 0.3549257516860962],
    ],
  ],
];

function backwardCubic(param: Tensor, x: Tensor): void {
  tidy(() => param.mul(0.1).mul(param).mul(param).add(x.mul(param)).sum().backward());
}

for (const [options, expected] of sequences) {
  test(`SGD ${JSON.stringify(options)} over 4 steps equals torch.optim.SGD`, () =>
    withoutLeaks(() => {
      const param = tensor([1.0, -2.0, 3.0, 0.5]).requiresGrad_();
      const x = tensor([0.5, -1.0, 2.0, 0.25]);
      const optimizer = new SGD([param], options);
      expected.forEach((row, step) => {
        optimizer.zeroGrad();
        backwardCubic(param, x);
        optimizer.step();
        assertClose(param, row, 0, `step ${step + 1}`);
      });
      optimizer.dispose();
      x.dispose();
      param.dispose();
    }));
}

test('SGD momentum buffer starts as the first gradient, per parameter', () =>
  withoutLeaks(() => {
    // With lr 1 and momentum 0.5: step 1 moves by g, step 2 by 0.5 * g + g. A parameter first seen on
    // step 2 starts its own buffer there (moves by g, not 1.5 g), as in PyTorch.
    const a = tensor([0.0]).requiresGrad_();
    const b = tensor([0.0]).requiresGrad_();
    const optimizer = new SGD({ parameters: () => [a, b] }, { lr: 1, momentum: 0.5 });
    const one = tensor([1.0]);
    a.grad = one;
    optimizer.step();
    assert.deepEqual([a.toFlatArray()[0], b.toFlatArray()[0]], [-1, 0]);
    b.grad = one;
    optimizer.step();
    assert.deepEqual([a.toFlatArray()[0], b.toFlatArray()[0]], [-2.5, -1]);
    const state = optimizer.stateDict();
    assert.deepEqual([...state.tensors.keys()], ['0.momentum_buffer', '1.momentum_buffer']);
    assert.equal(state.meta.steps, '2,1');
    optimizer.dispose();
    one.dispose();
    a.dispose();
    b.dispose();
  }));

test('SGD rejects bad settings with clear errors', () =>
  withoutLeaks(() => {
    const param = tensor([1.0]).requiresGrad_();
    assert.throws(() => new SGD([param], { lr: 0.1, nesterov: true }), /Nesterov momentum needs momentum > 0/);
    assert.throws(() => new SGD([param], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /dampening 0/);
    assert.throws(() => new SGD([param], { lr: -1 }), /lr must be a finite number >= 0/);
    assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
    assert.throws(() => new SGD([param, param], { lr: 0.1 }), /appears twice/);
    const derived = param.mul(2);
    assert.throws(() => new SGD([derived], { lr: 0.1 }), /not a leaf/);
    derived.dispose();
    const optimizer = new SGD([param], { lr: 0.1 });
    assert.throws(() => (optimizer.lr = Number.NaN), /lr must be a finite number/);
    optimizer.lr = 0.5;
    assert.equal(optimizer.lr, 0.5);
    optimizer.dispose();
    assert.throws(() => optimizer.step(), /disposed/);
    param.dispose();
  }));
