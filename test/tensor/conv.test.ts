// Convolutions and transposed convolutions: hand-computed cases, then plain-loop references
// over strides, padding, dilation and groups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, F } from '../../src/tensor/index.js';
import { expectTensor, noLeak, sequence, assertClose } from './helpers.js';
import {
  conv2dReference,
  convTranspose2dReference,
  conv2dOutputSize,
  convTranspose2dOutputSize,
  type ConvTranspose2dSpec,
} from './reference.js';

test('conv1d by hand', () => {
  noLeak(() => {
    const x = tensor([[[1, 2, 3, 4]]]); // [1, 1, 4]
    const w = tensor([[[1, 0, -1]]]); // [1, 1, 3]
    expectTensor(F.conv1d(x, w), [[[-2, -2]]], { shape: [1, 1, 2] });
    expectTensor(F.conv1d(x, w, tensor([10])), [[[8, 8]]]);
    expectTensor(F.conv1d(x, w, null, { padding: 1 }), [[[-2, -2, -2, 3]]]);
    expectTensor(F.conv1d(x, w, null, { padding: 1, stride: 2 }), [[[-2, -2]]]);
    expectTensor(F.conv1d(x, tensor([[[1, 1]]]), null, { dilation: 2 }), [[[4, 6]]]);
    // two input channels summed, two output channels
    const x2 = tensor([
      [
        [1, 2],
        [3, 4],
      ],
    ]);
    const w2 = tensor([
      [[1], [1]],
      [[1], [-1]],
    ]);
    expectTensor(
      F.conv1d(x2, w2),
      [
        [
          [4, 6],
          [-2, -2],
        ],
      ],
      { shape: [1, 2, 2] },
    );
    // depthwise: groups = channels
    expectTensor(F.conv1d(x2, tensor([[[2]], [[-1]]]), null, { groups: 2 }), [
      [
        [2, 4],
        [-3, -4],
      ],
    ]);
  });
});

test('conv2d by hand', () => {
  noLeak(() => {
    const x = tensor([
      [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
    ]);
    const w = tensor([
      [
        [
          [1, 0],
          [0, -1],
        ],
      ],
    ]);
    expectTensor(
      F.conv2d(x, w),
      [
        [
          [
            [-4, -4],
            [-4, -4],
          ],
        ],
      ],
      { shape: [1, 1, 2, 2] },
    );
    expectTensor(
      F.conv2d(
        x,
        tensor([
          [
            [
              [1, 1],
              [1, 1],
            ],
          ],
        ]),
        tensor([1]),
        { stride: 2, padding: 1 },
      ),
      [
        [
          [
            [2, 6],
            [12, 29],
          ],
        ],
      ],
    );
    expectTensor(F.conv2d(x, tensor([[[[1]]]]), null, { stride: [2, 1] }), [
      [
        [
          [1, 2, 3],
          [7, 8, 9],
        ],
      ],
    ]);
    assert.throws(() => F.conv2d(tensor([[1, 2]]), w), /conv2d expects input of rank 4/);
  });
});

test('conv2d matches the loop reference over stride, padding, dilation and groups', () => {
  noLeak(() => {
    const cases = [
      {
        batch: 2,
        inChannels: 3,
        height: 6,
        width: 5,
        outChannels: 4,
        kernelH: 3,
        kernelW: 3,
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 1,
      },
      {
        batch: 1,
        inChannels: 4,
        height: 7,
        width: 7,
        outChannels: 6,
        kernelH: 3,
        kernelW: 2,
        stride: [2, 3],
        padding: [0, 1],
        dilation: [1, 2],
        groups: 2,
      },
      {
        batch: 1,
        inChannels: 2,
        height: 5,
        width: 6,
        outChannels: 2,
        kernelH: 4,
        kernelW: 4,
        stride: [2, 2],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 2,
      },
    ] as const;
    cases.forEach((spec, k) => {
      const s = {
        ...spec,
        stride: [...spec.stride],
        padding: [...spec.padding],
        dilation: [...spec.dilation],
      } as ConvTranspose2dSpec;
      const xs = sequence(s.batch * s.inChannels * s.height * s.width, 10 + k);
      const ws = sequence((s.outChannels * s.inChannels * s.kernelH * s.kernelW) / s.groups, 20 + k);
      const bs = sequence(s.outChannels, 30 + k);
      const out = F.conv2d(
        tensor(Float64Array.from(xs), { shape: [s.batch, s.inChannels, s.height, s.width] }),
        tensor(Float64Array.from(ws), { shape: [s.outChannels, s.inChannels / s.groups, s.kernelH, s.kernelW] }),
        tensor(Float64Array.from(bs)),
        { stride: s.stride, padding: s.padding, dilation: s.dilation, groups: s.groups },
      );
      assert.deepEqual(out.shape, [s.batch, s.outChannels, ...conv2dOutputSize(s)]);
      assertClose(out.toFlatArray(), conv2dReference(xs, ws, bs, s), 1e-12, `conv2d case ${k}`);
    });
  });
});

test('convTranspose1d and convTranspose2d by hand', () => {
  noLeak(() => {
    // every input sample scatters the kernel, scaled, at stride steps
    expectTensor(F.convTranspose1d(tensor([[[1, 2]]]), tensor([[[1, 10]]])), [[[1, 12, 20]]], { shape: [1, 1, 3] });
    expectTensor(F.convTranspose1d(tensor([[[1, 2]]]), tensor([[[1, 10]]]), null, { stride: 2 }), [[[1, 10, 2, 20]]]);
    expectTensor(F.convTranspose1d(tensor([[[1, 2]]]), tensor([[[1, 10]]]), tensor([5]), { stride: 2, padding: 1 }), [
      [[15, 7]],
    ]);
    expectTensor(F.convTranspose1d(tensor([[[1, 2]]]), tensor([[[1, 10]]]), null, { stride: 2, outputPadding: 1 }), [
      [[1, 10, 2, 20, 0]],
    ]);
    // weight is [in, out, k]: one input channel to two outputs
    expectTensor(F.convTranspose1d(tensor([[[3]]]), tensor([[[1], [-1]]])), [[[3], [-3]]], { shape: [1, 2, 1] });
    expectTensor(
      F.convTranspose2d(
        tensor([
          [
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ]),
        tensor([
          [
            [
              [1, 1],
              [1, 1],
            ],
          ],
        ]),
        null,
        { stride: 2 },
      ),
      [
        [
          [
            [1, 1, 2, 2],
            [1, 1, 2, 2],
            [3, 3, 4, 4],
            [3, 3, 4, 4],
          ],
        ],
      ],
      { shape: [1, 1, 4, 4] },
    );
    expectTensor(
      F.convTranspose2d(
        tensor([
          [
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ]),
        tensor([
          [
            [
              [1, 1],
              [1, 1],
            ],
          ],
        ]),
      ),
      [
        [
          [
            [1, 3, 2],
            [4, 10, 6],
            [3, 7, 4],
          ],
        ],
      ],
      { shape: [1, 1, 3, 3] },
    );
  });
});

test('convTranspose2d matches the loop reference over stride, padding, output padding, dilation and groups', () => {
  noLeak(() => {
    const cases: ConvTranspose2dSpec[] = [
      {
        batch: 2,
        inChannels: 3,
        height: 3,
        width: 4,
        outChannels: 2,
        kernelH: 4,
        kernelW: 4,
        stride: [2, 2],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 1,
        outputPadding: [0, 0],
      },
      {
        batch: 1,
        inChannels: 4,
        height: 3,
        width: 3,
        outChannels: 6,
        kernelH: 3,
        kernelW: 2,
        stride: [3, 2],
        padding: [1, 0],
        dilation: [1, 2],
        groups: 2,
        outputPadding: [2, 1],
      },
    ];
    cases.forEach((s, k) => {
      const xs = sequence(s.batch * s.inChannels * s.height * s.width, 40 + k);
      const ws = sequence((s.inChannels * s.outChannels * s.kernelH * s.kernelW) / s.groups, 50 + k);
      const bs = sequence(s.outChannels, 60 + k);
      const out = F.convTranspose2d(
        tensor(Float64Array.from(xs), { shape: [s.batch, s.inChannels, s.height, s.width] }),
        tensor(Float64Array.from(ws), { shape: [s.inChannels, s.outChannels / s.groups, s.kernelH, s.kernelW] }),
        tensor(Float64Array.from(bs)),
        {
          stride: s.stride,
          padding: s.padding,
          outputPadding: s.outputPadding,
          dilation: s.dilation,
          groups: s.groups,
        },
      );
      assert.deepEqual(out.shape, [s.batch, s.outChannels, ...convTranspose2dOutputSize(s)]);
      assertClose(out.toFlatArray(), convTranspose2dReference(xs, ws, bs, s), 1e-12, `convTranspose2d case ${k}`);
    });
  });
});

test('conv dtypes: float32 in, float32 out; mismatched dtypes throw libtorch text', () => {
  noLeak(() => {
    const out = F.conv2d(
      tensor([
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]),
      tensor([[[[1]]]]),
    );
    assert.equal(out.dtype, 'float32');
    assert.throws(
      () =>
        F.conv2d(
          tensor(
            [
              [
                [
                  [1, 2],
                  [3, 4],
                ],
              ],
            ],
            { dtype: 'float64' },
          ),
          tensor([[[[1]]]]),
        ),
      /conv: .*(type|dtype)/i,
    );
  });
});
