import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, arange, ones, tensor, tidy } from '../../src/tensor/index.js';
import {
  type Module,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  ELU,
  Embedding,
  Flatten,
  GELU,
  Identity,
  LeakyReLU,
  Linear,
  ReLU,
  Sequential,
  Sigmoid,
  SiLU,
  Softplus,
  Tanh,
  Upsample,
  Dropout,
} from '../../src/nn/index.js';
import { assertClose, noLeaks } from './helpers.js';

/** Overwrites a module's tensors with hand-picked values. */
function setState(module: Module, values: Record<string, number[] | number[][] | number[][][] | number[][][][]>): void {
  tidy(() =>
    module.loadStateDict(new Map(Object.entries(values).map(([name, value]) => [name, tensor(value)])), {
      strict: false,
    }),
  );
}

test('Linear computes x W^T + b on any leading shape', async () => {
  await noLeaks(() => {
    const layer = new Linear(3, 2);
    setState(layer, {
      weight: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      bias: [0.5, -1],
    });
    tidy(() => {
      assert.deepEqual(
        layer
          .forward(
            tensor([
              [1, 0, -1],
              [2, 1, 0],
            ]),
          )
          .toArray(),
        [
          [-1.5, -3],
          [4.5, 12],
        ],
      );
      assert.deepEqual(layer.forward(tensor([[[1, 0, -1]], [[2, 1, 0]]])).shape, [2, 1, 2]);
      assert.throws(() => layer.forward(ones([2, 4])), /Linear\(3 -> 2\) expects input \[\.\.\., 3\], got \[2, 4\]/);
    });
    const noBias = new Linear(2, 1, { bias: false });
    assert.equal(noBias.bias, null);
    assert.deepEqual([...noBias.stateDict().keys()], ['weight']);
    layer.dispose();
    noBias.dispose();
  });
});

test('Conv2d on a hand-made kernel: plain, strided with padding, grouped', async () => {
  await noLeaks(() => {
    const conv = new Conv2d(1, 1, 2);
    setState(conv, {
      weight: [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
      bias: [0.5],
    });
    const strided = new Conv2d(1, 1, 2, { stride: 2, padding: 1, bias: false });
    setState(strided, {
      weight: [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
    });
    const grouped = new Conv2d(2, 2, 1, { groups: 2, bias: false });
    setState(grouped, { weight: [[[[2]]], [[[3]]]] });
    assert.deepEqual(grouped.weight.shape, [2, 1, 1, 1]);
    tidy(() => {
      const image = tensor([
        [
          [
            [1, 2, 3],
            [4, 5, 6],
            [7, 8, 9],
          ],
        ],
      ]);
      assert.deepEqual(conv.forward(image).toArray(), [
        [
          [
            [37.5, 47.5],
            [67.5, 77.5],
          ],
        ],
      ]);
      assert.deepEqual(strided.forward(image).toArray(), [
        [
          [
            [4, 18],
            [36, 77],
          ],
        ],
      ]);
      assert.deepEqual(grouped.forward(tensor([[[[1]], [[10]]]])).toArray(), [[[[2]], [[30]]]]);
      assert.throws(
        () => conv.forward(ones([8, 4, 32, 32])),
        /Conv2d\(1 -> 1, kernel 2x2\) expects input \[batch, 1, height, width\], got \[8, 4, 32, 32\]/,
      );
      assert.throws(() => conv.forward(ones([1, 3, 3])), /expects input \[batch, 1, height, width\], got \[1, 3, 3\]/);
    });
    assert.throws(
      () => new Conv2d(3, 4, 3, { groups: 2 }),
      /groups \(2\) must divide inChannels \(3\) and outChannels \(4\)/,
    );
    for (const m of [conv, strided, grouped]) m.dispose();
  });
});

test('Conv1d honours paddingMode', async () => {
  await noLeaks(() => {
    const zeros = new Conv1d(1, 1, 3, { padding: 1, bias: false });
    const reflect = new Conv1d(1, 1, 3, { padding: 1, bias: false, paddingMode: 'reflect' });
    const circular = new Conv1d(1, 1, 3, { padding: 1, bias: false, paddingMode: 'circular' });
    for (const m of [zeros, reflect, circular]) setState(m, { weight: [[[1, 1, 1]]] });
    tidy(() => {
      const x = tensor([[[1, 2, 3]]]);
      assert.deepEqual(zeros.forward(x).toArray(), [[[3, 6, 5]]]);
      assert.deepEqual(reflect.forward(x).toArray(), [[[5, 6, 7]]]); // padded 2 1 2 3 2
      assert.deepEqual(circular.forward(x).toArray(), [[[6, 6, 6]]]); // padded 3 1 2 3 1
    });
    for (const m of [zeros, reflect, circular]) m.dispose();
  });
});

test('ConvTranspose stamps the kernel per input element; weight is [in, out/groups, k]', async () => {
  await noLeaks(() => {
    const up = new ConvTranspose2d(1, 1, 2, { stride: 2, bias: false });
    setState(up, {
      weight: [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
    });
    const line = new ConvTranspose1d(1, 1, 3, { bias: false });
    setState(line, { weight: [[[1, 1, 1]]] });
    const doubling = new ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
    assert.deepEqual(doubling.weight.shape, [4, 2, 3, 3]);
    tidy(() => {
      assert.deepEqual(up.forward(tensor([[[[1, 2]]]])).toArray(), [
        [
          [
            [1, 2, 2, 4],
            [3, 4, 6, 8],
          ],
        ],
      ]);
      assert.deepEqual(line.forward(tensor([[[1, 2]]])).toArray(), [[[1, 3, 3, 2]]]);
      assert.deepEqual(doubling.forward(ones([1, 4, 5, 7])).shape, [1, 2, 10, 14]);
      assert.throws(
        () => doubling.forward(ones([1, 2, 5, 7])),
        /ConvTranspose2d\(4 -> 2, kernel 3x3, stride 2x2, padding 1x1\) expects input \[batch, 4, height, width\]/,
      );
    });
    assert.throws(() => new ConvTranspose1d(1, 1, 3, { stride: 0 }), /stride must be an integer >= 1/);
    for (const m of [up, line, doubling]) m.dispose();
  });
});

test('Embedding looks rows up; the padding row is zero and gets no gradient', async () => {
  await noLeaks(() => {
    const embedding = new Embedding(4, 2, { paddingIdx: -1 });
    assert.equal(embedding.paddingIdx, 3);
    assert.deepEqual((embedding.weight.toArray() as number[][])[3], [0, 0]);
    setState(embedding, {
      weight: [
        [1, 2],
        [3, 4],
        [5, 6],
        [0, 0],
      ],
    });
    tidy(() => {
      const indices = tensor(
        [
          [2, 0],
          [3, 2],
        ],
        { dtype: 'int64' },
      );
      const looked = embedding.forward(indices);
      assert.deepEqual(looked.toArray(), [
        [
          [5, 6],
          [1, 2],
        ],
        [
          [0, 0],
          [5, 6],
        ],
      ]);
      looked.sum().backward();
      const gradient = embedding.weight.grad as Tensor;
      assert.deepEqual(gradient.toArray(), [
        [1, 1],
        [0, 0],
        [2, 2],
        [0, 0],
      ]);
      assert.deepEqual(embedding.forward(tensor([1], { dtype: 'int32' })).toArray(), [[3, 4]]);
      assert.throws(
        () => embedding.forward(tensor([1.5])),
        /Embedding\(4, 2\) expects integer indices \(int64 or int32\), got float32/,
      );
      assert.throws(
        () => embedding.forward(tensor([4], { dtype: 'int64' })),
        /Embedding\(4, 2\): .*indices must lie in \[0, 4\)/,
      );
    });
    embedding.zeroGrad();
    assert.throws(() => new Embedding(4, 2, { paddingIdx: 4 }), /paddingIdx must be an integer in \[-4, 4\)/);
    embedding.dispose();
  });
});

test('activations, Flatten, Identity, Dropout and Upsample', async () => {
  await noLeaks(() => {
    tidy(() => {
      const x = tensor([-2, -0.5, 0, 1.5]);
      const cases: [Module & { forward(x: Tensor): Tensor }, (v: number) => number][] = [
        [new ReLU(), (v) => Math.max(0, v)],
        [new LeakyReLU(0.2), (v) => (v > 0 ? v : 0.2 * v)],
        [new Tanh(), Math.tanh],
        [new Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
        [new SiLU(), (v) => v / (1 + Math.exp(-v))],
        [new ELU(), (v) => (v > 0 ? v : Math.exp(v) - 1)],
        [new Softplus(), (v) => Math.log1p(Math.exp(v))],
        [new GELU('tanh'), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
      ];
      for (const [module, fn] of cases)
        assertClose(module.forward(x), x.toFlatArray().map(fn), 1e-6, module.describe());
      const identity = new Identity();
      assert.equal(identity.forward(x), x);
      assert.deepEqual(new Flatten().forward(ones([2, 3, 4])).shape, [2, 12]);
      const dropout = new Dropout(0.5);
      const many = ones([1000]);
      const dropped = dropout.forward(many).toFlatArray();
      assert.ok(dropped.every((v) => v === 0 || v === 2));
      const kept = dropped.filter((v) => v === 2).length;
      assert.ok(kept > 400 && kept < 600, `kept ${kept} of 1000`);
      dropout.eval();
      assert.deepEqual(dropout.forward(x).toFlatArray(), x.toFlatArray());
      const image = arange(4, undefined, 1, 'float32').reshape(1, 1, 2, 2);
      assert.deepEqual(new Upsample({ scaleFactor: 2 }).forward(image).toArray(), [
        [
          [
            [0, 0, 1, 1],
            [0, 0, 1, 1],
            [2, 2, 3, 3],
            [2, 2, 3, 3],
          ],
        ],
      ]);
      assert.deepEqual(new Upsample({ size: [3, 5], mode: 'bilinear' }).forward(image).shape, [1, 1, 3, 5]);
      assert.throws(
        () => new Upsample({ mode: 'bilinear', scaleFactor: 2 }).forward(ones([1, 2, 3])),
        /Upsample\(x2, bilinear\) expects input \[batch, C, height, width\]/,
      );
      assert.throws(() => new Upsample({}), /exactly one of scaleFactor and size/);
      const net = new Sequential(new Linear(2, 3), new LeakyReLU(0.2), new Flatten());
      assert.deepEqual(net.forward(ones([4, 2])).shape, [4, 3]);
      net.dispose();
    });
  });
});
