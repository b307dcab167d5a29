import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, manualSeed, ones, randn, stack, tidy, zeros } from '../../src/tensor/index.js';
import { GRU, LSTM } from '../../src/nn/index.js';
import { assertClose, noLeaks } from './helpers.js';

const param = (module: GRU | LSTM, name: string): Tensor => module.stateDict().get(name) as Tensor;

/** x W^T + b for x [batch, in], W [rows, in]. */
const affine = (x: Tensor, weight: Tensor, bias: Tensor): Tensor => x.matmul(weight.T).add(bias);

/** One GRU step from the equations in torch.nn.GRU's documentation (gate rows ordered r, z, n). */
function gruStep(x: Tensor, h: Tensor, module: GRU, suffix = '_l0'): Tensor {
  const H = module.hiddenSize;
  const gi = affine(x, param(module, `weight_ih${suffix}`), param(module, `bias_ih${suffix}`)).split(H, 1);
  const gh = affine(h, param(module, `weight_hh${suffix}`), param(module, `bias_hh${suffix}`)).split(H, 1);
  const [ir, iz, inew] = gi as [Tensor, Tensor, Tensor];
  const [hr, hz, hnew] = gh as [Tensor, Tensor, Tensor];
  const r = ir.add(hr).sigmoid();
  const z = iz.add(hz).sigmoid();
  const n = inew.add(r.mul(hnew)).tanh();
  return z.rsub(1).mul(n).add(z.mul(h));
}

/** One LSTM step (gate rows ordered i, f, g, o). */
function lstmStep(x: Tensor, h: Tensor, c: Tensor, module: LSTM): [Tensor, Tensor] {
  const gates = affine(x, param(module, 'weight_ih_l0'), param(module, 'bias_ih_l0')).add(
    affine(h, param(module, 'weight_hh_l0'), param(module, 'bias_hh_l0')),
  );
  const [i, f, g, o] = gates.split(module.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
  const cell = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
  return [o.sigmoid().mul(cell.tanh()), cell];
}

test('GRU follows the GRU equations step by step', async () => {
  await noLeaks(() => {
    manualSeed(1);
    const gru = new GRU(3, 4);
    tidy(() => {
      const x = randn([2, 5, 3]); // [time, batch, features]
      const h0 = randn([1, 5, 4]);
      const [output, hN] = gru.forward(x, h0);
      assert.deepEqual(output.shape, [2, 5, 4]);
      assert.deepEqual(hN.shape, [1, 5, 4]);
      const h1 = gruStep(x.select(0, 0), h0.select(0, 0), gru);
      const h2 = gruStep(x.select(0, 1), h1, gru);
      assertClose(output.select(0, 0), h1, 1e-6, 'step 1');
      assertClose(output.select(0, 1), h2, 1e-6, 'step 2');
      assertClose(hN.select(0, 0), h2, 1e-6, 'final hidden');
      // no h0 means zeros
      const [fromZero] = gru.forward(x.narrow(0, 0, 1));
      assertClose(fromZero.select(0, 0), gruStep(x.select(0, 0), zeros([5, 4]), gru), 1e-6, 'zero h0');
    });
    gru.dispose();
  });
});

test('LSTM follows the LSTM equations step by step', async () => {
  await noLeaks(() => {
    manualSeed(2);
    const lstm = new LSTM(3, 4, { batchFirst: true });
    tidy(() => {
      const x = randn([5, 2, 3]); // [batch, time, features]
      const h0 = randn([1, 5, 4]);
      const c0 = randn([1, 5, 4]);
      const [output, [hN, cN]] = lstm.forward(x, [h0, c0]);
      assert.deepEqual(output.shape, [5, 2, 4]);
      const [h1, c1] = lstmStep(x.select(1, 0), h0.select(0, 0), c0.select(0, 0), lstm);
      const [h2, c2] = lstmStep(x.select(1, 1), h1, c1, lstm);
      assertClose(output.select(1, 0), h1, 1e-6, 'step 1');
      assertClose(output.select(1, 1), h2, 1e-6, 'step 2');
      assertClose(hN.select(0, 0), h2, 1e-6, 'hN');
      assertClose(cN.select(0, 0), c2, 1e-6, 'cN');
    });
    lstm.dispose();
  });
});

test('bidirectional, stacked and unbatched recurrent layers', async () => {
  await noLeaks(() => {
    manualSeed(3);
    const gru = new GRU(3, 4, { layers: 2, bidirectional: true, batchFirst: true });
    const single = new GRU(3, 4, { bidirectional: true });
    const lstm = new LSTM(3, 4, { layers: 2 });
    tidy(() => {
      const x = randn([2, 6, 3]);
      const [output, hN] = gru.forward(x);
      assert.deepEqual(output.shape, [2, 6, 8]);
      assert.deepEqual(hN.shape, [4, 2, 4]);
      // the last layer's forward state ends the sequence, its reverse state starts it
      assertClose(output.select(1, 5).narrow(1, 0, 4), hN.select(0, 2), 1e-6, 'forward direction');
      assertClose(output.select(1, 0).narrow(1, 4, 4), hN.select(0, 3), 1e-6, 'reverse direction');
      // the reverse direction of a one-layer GRU is a forward GRU over the flipped sequence
      const sequence = randn([3, 1, 3]);
      const [both] = single.forward(sequence);
      let h = zeros([1, 4]);
      const reverse: Tensor[] = [];
      for (let t = 2; t >= 0; t--) {
        h = gruStep(sequence.select(0, t), h, single, '_l0_reverse');
        reverse.unshift(h);
      }
      assertClose(both.narrow(2, 4, 4), stack(reverse), 1e-6, 'reverse by hand');
      // unbatched input [time, features]
      const [flat, last] = gru.forward(x.select(0, 1));
      assert.deepEqual(flat.shape, [6, 8]);
      assert.deepEqual(last.shape, [4, 4]);
      assertClose(flat, output.select(0, 1), 1e-6, 'unbatched equals batched');
      const [lstmOut, [h2, c2]] = lstm.forward(randn([5, 2, 3]));
      assert.deepEqual(
        [lstmOut.shape, h2.shape, c2.shape],
        [
          [5, 2, 4],
          [2, 2, 4],
          [2, 2, 4],
        ],
      );
      assert.throws(
        () => gru.forward(ones([2, 6, 5])),
        /GRU\(3 -> 4, 2 layers, bidirectional\) expects input \[batch, time, 3\]/,
      );
      assert.throws(() => gru.forward(x, zeros([2, 2, 4])), /expects h0 of shape \[4, 2, 4\], got \[2, 2, 4\]/);
    });
    for (const m of [gru, single, lstm]) m.dispose();
  });
});

test('dropout between layers acts in training only; gradients reach every parameter', async () => {
  await noLeaks(() => {
    manualSeed(4);
    const gru = new GRU(3, 4, { layers: 2, dropout: 0.5 });
    tidy(() => {
      const x = randn([4, 2, 3]);
      const [trainA] = gru.forward(x);
      const [trainB] = gru.forward(x);
      assert.notDeepEqual(trainA.toFlatArray(), trainB.toFlatArray());
      gru.eval();
      const [evalA] = gru.forward(x);
      const [evalB] = gru.forward(x);
      assert.deepEqual(evalA.toFlatArray(), evalB.toFlatArray());
      gru.train();
      gru.forward(x)[0].square().sum().backward();
      for (const [name, p] of gru.namedParameters()) {
        const gradient = p.grad;
        assert.ok(gradient && gradient.abs().sum().item() > 0, `${name} got no gradient`);
      }
    });
    gru.zeroGrad();
    gru.dispose();
  });
});
