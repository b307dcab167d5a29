import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, ones, randn, tensor, tidy, manualSeed } from '../../src/tensor/index.js';
import { BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm } from '../../src/nn/index.js';
import { assertClose, noLeaks } from './helpers.js';

const buffer = (module: BatchNorm1d | BatchNorm2d, name: string): Tensor => module.stateDict().get(name) as Tensor;

test('BatchNorm2d normalises with batch statistics and updates running stats in training', async () => {
  await noLeaks(() => {
    const norm = new BatchNorm2d(1);
    tidy(() => {
      // one channel, values 1 2 3 6: mean 3, biased variance 3.5, unbiased 14/3
      const x = tensor([[[[1, 2]]], [[[3, 6]]]]);
      const y = norm.forward(x);
      assertClose(
        y,
        [1, 2, 3, 6].map((v) => (v - 3) / Math.sqrt(3.5 + 1e-5)),
        1e-6,
        'training output',
      );
      assertClose(buffer(norm, 'running_mean'), [0.1 * 3], 1e-7, 'running_mean');
      assertClose(buffer(norm, 'running_var'), [0.9 * 1 + 0.1 * (14 / 3)], 1e-6, 'running_var');
      assert.equal(buffer(norm, 'num_batches_tracked').item(), 1);
      norm.eval();
      assertClose(
        norm.forward(x),
        [1, 2, 3, 6].map((v) => (v - 0.3) / Math.sqrt(0.9 + 0.1 * (14 / 3) + 1e-5)),
        1e-6,
        'eval output',
      );
      assert.equal(buffer(norm, 'num_batches_tracked').item(), 1, 'eval does not count batches');
      assertClose(buffer(norm, 'running_mean'), [0.3], 1e-7, 'eval leaves running_mean');
    });
    norm.dispose();
  });
});

test('BatchNorm1d with momentum null keeps a cumulative average; affine parameters apply', async () => {
  await noLeaks(() => {
    const norm = new BatchNorm1d(2, { momentum: null });
    tidy(() => {
      norm.forward(
        tensor([
          [0, 10],
          [2, 10],
          [4, 10],
        ]),
      );
      norm.forward(
        tensor([
          [6, 1],
          [8, 3],
          [10, 5],
        ]),
      );
      // mean of the two batch means per channel; mean of the two unbiased variances
      assertClose(buffer(norm, 'running_mean'), [(2 + 8) / 2, (10 + 3) / 2], 1e-6, 'running_mean');
      assertClose(buffer(norm, 'running_var'), [(4 + 4) / 2, (0 + 4) / 2], 1e-6, 'running_var');
      assert.equal(buffer(norm, 'num_batches_tracked').item(), 2);
      norm.loadStateDict(
        new Map([
          ['weight', tensor([2, 1])],
          ['bias', tensor([1, 0])],
        ]),
        { strict: false },
      );
      const y = norm.forward(tensor([[[0, 1]], [[2, 3]]]).reshape(2, 2, 1)); // [batch 2, C 2, length 1]
      assertClose(y, [1 - 2, -1, 1 + 2, 1], 1e-4, 'affine output');
      assert.throws(
        () => norm.forward(ones([1, 2])),
        /BatchNorm1d\(2\) needs more than one value per channel in training, got input \[1, 2\]/,
      );
      assert.throws(
        () => norm.forward(ones([4, 3])),
        /BatchNorm1d\(2\) expects input \[batch, 2\] or \[batch, 2, length\], got \[4, 3\]/,
      );
    });
    const plain = new BatchNorm2d(3, { affine: false, trackRunningStats: false });
    assert.deepEqual([...plain.stateDict().keys()], []);
    tidy(() => {
      plain.eval(); // without running stats it always uses batch statistics
      const y = plain.forward(randn([4, 3, 2, 2]));
      assertClose(y.mean([0, 2, 3]), [0, 0, 0], 1e-5, 'per-channel mean');
    });
    norm.dispose();
  });
});

test('LayerNorm output has zero mean and unit variance over the normalised dims', async () => {
  await noLeaks(() => {
    manualSeed(1);
    const norm = new LayerNorm([3, 4]);
    tidy(() => {
      const x = randn([2, 5, 3, 4]).mul(3).add(7);
      const y = norm.forward(x);
      assertClose(y.mean([2, 3]), new Array<number>(10).fill(0), 1e-5, 'mean');
      assertClose(y.var([2, 3], false, 0), new Array<number>(10).fill(1), 1e-3, 'variance');
      norm.loadStateDict(
        new Map([
          ['weight', ones([3, 4]).mul(2)],
          ['bias', ones([3, 4]).mul(-1)],
        ]),
      );
      const scaled = norm.forward(x);
      assertClose(scaled.mean([2, 3]), new Array<number>(10).fill(-1), 1e-5, 'shifted mean');
      assertClose(scaled.var([2, 3], false, 0), new Array<number>(10).fill(4), 4e-3, 'scaled variance');
      assert.throws(
        () => norm.forward(ones([2, 4, 3])),
        /LayerNorm\(\[3, 4\]\) expects input \[\.\.\., 3, 4\], got \[2, 4, 3\]/,
      );
    });
    const bare = new LayerNorm(4, { elementwiseAffine: false });
    assert.equal(bare.parameters().length, 0);
    norm.dispose();
  });
});

test('GroupNorm normalises each group of channels per sample', async () => {
  await noLeaks(() => {
    manualSeed(2);
    const norm = new GroupNorm(2, 4);
    tidy(() => {
      const x = randn([3, 4, 5]).add(tensor([0, 10, -5, 2]).reshape(1, 4, 1));
      const grouped = norm.forward(x).reshape(3, 2, 10);
      assertClose(grouped.mean(2), new Array<number>(6).fill(0), 1e-5, 'group mean');
      assertClose(grouped.var(2, false, 0), new Array<number>(6).fill(1), 1e-3, 'group variance');
      assert.throws(
        () => norm.forward(ones([3, 6, 5])),
        /GroupNorm\(2 groups, 4\) expects input \[batch, 4, \.\.\.\], got \[3, 6, 5\]/,
      );
    });
    assert.throws(() => new GroupNorm(3, 4), /channels \(4\) must be divisible by groups \(3\)/);
    norm.dispose();
  });
});
