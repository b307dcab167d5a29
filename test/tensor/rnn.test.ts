// Fused GRU and LSTM against hand-computed steps and a plain-loop reference of PyTorch's equations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, ones, F, type Tensor } from '../../src/tensor/index.js';
import { expectTensor, noLeak, sequence, assertClose } from './helpers.js';

const single = { hasBiases: true, layers: 1, dropout: 0, training: false, bidirectional: false, batchFirst: false };
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function matrix(rows: number, cols: number, seed: number): { values: number[]; tensor: Tensor } {
  const values = sequence(rows * cols, seed);
  return { values, tensor: tensor(Float64Array.from(values), { shape: cols === 1 ? [rows] : [rows, cols] }) };
}
/** Row `gate` block of W (stacked gates of size hidden) times v. */
function gateProduct(w: number[], gate: number, hidden: number, v: number[]): number[] {
  return Array.from({ length: hidden }, (_, r) =>
    v.reduce((s, x, c) => s + (w[(gate * hidden + r) * v.length + c] ?? 0) * x, 0),
  );
}

test('GRU with zero weights halves the state each step (z = r = 1/2, n = 0)', () => {
  noLeak(() => {
    const params = [zeros([3, 1]), zeros([3, 1]), zeros([3]), zeros([3])];
    const [output, hidden] = F.gru(ones([3, 1, 1]), ones([1, 1, 1]), params, single);
    expectTensor(output, [[[0.5]], [[0.25]], [[0.125]]], { shape: [3, 1, 1] });
    expectTensor(hidden, [[[0.125]]], { shape: [1, 1, 1] });
  });
});

test('GRU matches the reference equations (r, z, n gate order)', () => {
  noLeak(() => {
    const [steps, batch, inputSize, hiddenSize] = [3, 2, 3, 2];
    const wIh = matrix(3 * hiddenSize, inputSize, 1);
    const wHh = matrix(3 * hiddenSize, hiddenSize, 2);
    const bIh = matrix(3 * hiddenSize, 1, 3);
    const bHh = matrix(3 * hiddenSize, 1, 4);
    const xs = sequence(steps * batch * inputSize, 5).map((v) => v * 4);
    const h0 = sequence(batch * hiddenSize, 6);
    const [output, hidden] = F.gru(
      tensor(Float64Array.from(xs), { shape: [steps, batch, inputSize] }),
      tensor(Float64Array.from(h0), { shape: [1, batch, hiddenSize] }),
      [wIh.tensor, wHh.tensor, bIh.tensor, bHh.tensor],
      single,
    );
    const expected: number[] = [];
    let state = [0, 1].map((b) => h0.slice(b * hiddenSize, (b + 1) * hiddenSize));
    for (let t = 0; t < steps; t++) {
      state = state.map((h, b) => {
        const x = xs.slice((t * batch + b) * inputSize, (t * batch + b + 1) * inputSize);
        const gi = [0, 1, 2].map((g) =>
          gateProduct(wIh.values, g, hiddenSize, x).map((v, k) => v + (bIh.values[g * hiddenSize + k] ?? 0)),
        );
        const gh = [0, 1, 2].map((g) =>
          gateProduct(wHh.values, g, hiddenSize, h).map((v, k) => v + (bHh.values[g * hiddenSize + k] ?? 0)),
        );
        return h.map((hk, k) => {
          const r = sigmoid((gi[0]?.[k] ?? 0) + (gh[0]?.[k] ?? 0));
          const z = sigmoid((gi[1]?.[k] ?? 0) + (gh[1]?.[k] ?? 0));
          const n = Math.tanh((gi[2]?.[k] ?? 0) + r * (gh[2]?.[k] ?? 0));
          return (1 - z) * n + z * hk;
        });
      });
      expected.push(...state.flat());
    }
    assertClose(output.toFlatArray(), expected, 1e-12, 'GRU output');
    assertClose(hidden.toFlatArray(), state.flat(), 1e-12, 'GRU final state');
  });
});

test('LSTM matches the reference equations (i, f, g, o gate order)', () => {
  noLeak(() => {
    const [steps, batch, inputSize, hiddenSize] = [4, 1, 2, 3];
    const wIh = matrix(4 * hiddenSize, inputSize, 11);
    const wHh = matrix(4 * hiddenSize, hiddenSize, 12);
    const bIh = matrix(4 * hiddenSize, 1, 13);
    const bHh = matrix(4 * hiddenSize, 1, 14);
    const xs = sequence(steps * batch * inputSize, 15).map((v) => v * 4);
    let h = sequence(hiddenSize, 16);
    let c = sequence(hiddenSize, 17);
    const [output, hN, cN] = F.lstm(
      tensor(Float64Array.from(xs), { shape: [steps, batch, inputSize] }),
      tensor(Float64Array.from(h), { shape: [1, 1, hiddenSize] }),
      tensor(Float64Array.from(c), { shape: [1, 1, hiddenSize] }),
      [wIh.tensor, wHh.tensor, bIh.tensor, bHh.tensor],
      single,
    );
    const expected: number[] = [];
    for (let t = 0; t < steps; t++) {
      const x = xs.slice(t * inputSize, (t + 1) * inputSize);
      const pre = [0, 1, 2, 3].map((g) => {
        const a = gateProduct(wIh.values, g, hiddenSize, x);
        const b = gateProduct(wHh.values, g, hiddenSize, h);
        return a.map(
          (v, k) => v + (b[k] ?? 0) + (bIh.values[g * hiddenSize + k] ?? 0) + (bHh.values[g * hiddenSize + k] ?? 0),
        );
      });
      c = c.map((ck, k) => sigmoid(pre[1]?.[k] ?? 0) * ck + sigmoid(pre[0]?.[k] ?? 0) * Math.tanh(pre[2]?.[k] ?? 0));
      h = c.map((ck, k) => sigmoid(pre[3]?.[k] ?? 0) * Math.tanh(ck));
      expected.push(...h);
    }
    assertClose(output.toFlatArray(), expected, 1e-12, 'LSTM output');
    assertClose(hN.toFlatArray(), h, 1e-12, 'LSTM final h');
    assertClose(cN.toFlatArray(), c, 1e-12, 'LSTM final c');
  });
});

test('GRU and LSTM shapes: two layers, bidirectional, batch first; batchFirst agrees with time-major', () => {
  noLeak(() => {
    const [batch, steps, inputSize, hidden] = [2, 5, 3, 4];
    const layerParams = (inputs: number, gates: number, seed: number): Tensor[] => [
      matrix(gates * hidden, inputs, seed).tensor.float(),
      matrix(gates * hidden, hidden, seed + 1).tensor.float(),
      matrix(gates * hidden, 1, seed + 2).tensor.float(),
      matrix(gates * hidden, 1, seed + 3).tensor.float(),
    ];
    // layer 0 forward, layer 0 backward, layer 1 forward (input 2*hidden), layer 1 backward
    const params = [
      ...layerParams(inputSize, 3, 1),
      ...layerParams(inputSize, 3, 5),
      ...layerParams(2 * hidden, 3, 9),
      ...layerParams(2 * hidden, 3, 13),
    ];
    const x = tensor(Float32Array.from(sequence(batch * steps * inputSize, 7)), { shape: [batch, steps, inputSize] });
    const args = { hasBiases: true, layers: 2, dropout: 0, training: false, bidirectional: true, batchFirst: true };
    const [output, hN] = F.gru(x, zeros([4, batch, hidden]), params, args);
    assert.deepEqual(output.shape, [batch, steps, 2 * hidden]);
    assert.deepEqual(hN.shape, [4, batch, hidden]);
    const [timeMajor] = F.gru(x.transpose(0, 1), zeros([4, batch, hidden]), params, { ...args, batchFirst: false });
    assertClose(timeMajor.transpose(0, 1).toFlatArray(), output.toFlatArray(), 1e-6, 'batchFirst vs time-major');
    // the last forward-direction output of the top layer is its final state
    assertClose(
      output
        .select(1, steps - 1)
        .narrow(1, 0, hidden)
        .toFlatArray(),
      hN.select(0, 2).toFlatArray(),
      1e-6,
    );
    const lstmParams = [...layerParams(inputSize, 4, 21)];
    const [lstmOut, h, c] = F.lstm(x, zeros([1, batch, hidden]), zeros([1, batch, hidden]), lstmParams, {
      ...single,
      batchFirst: true,
    });
    assert.deepEqual(
      [lstmOut.shape, h.shape, c.shape],
      [
        [batch, steps, hidden],
        [1, batch, hidden],
        [1, batch, hidden],
      ],
    );
    assert.throws(
      () => F.gru(x, zeros([1, batch, hidden + 1]), layerParams(inputSize, 3, 1), { ...single, batchFirst: true }),
      /gru: .*(shapes cannot be multiplied|hidden)/i,
    );
  });
});
