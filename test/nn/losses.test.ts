import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../../src/tensor/index.js';
import {
  bceWithLogits,
  crossEntropy,
  gaussianKl,
  hingeDiscriminatorLoss,
  hingeGeneratorLoss,
  l1Loss,
  mseLoss,
  nonSaturatingDiscriminatorLoss,
  nonSaturatingGeneratorLoss,
} from '../../src/nn/index.js';
import { assertClose, noLeaks } from './helpers.js';

const softplus = (v: number): number => Math.log1p(Math.exp(v));
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** -log softmax(row)[c], computed in plain JS. */
function negativeLogProbabilities(row: number[]): number[] {
  const top = Math.max(...row);
  const logSum = top + Math.log(row.reduce((sum, v) => sum + Math.exp(v - top), 0));
  return row.map((v) => logSum - v);
}

test('mse, l1 and bce-with-logits against hand computation', async () => {
  await noLeaks(() => {
    tidy(() => {
      const input = tensor([1, 2, 3]);
      const target = tensor([1, 0, 0]);
      assertClose(mseLoss(input, target), [13 / 3], 1e-6, 'mse mean');
      assertClose(mseLoss(input, target, { reduction: 'sum' }), [13], 1e-6, 'mse sum');
      assertClose(l1Loss(input, target), [5 / 3], 1e-6, 'l1');
      assertClose(l1Loss(input, target, { reduction: 'none' }), [0, 2, 3], 0, 'l1 none');
      const logits = [0, 2, -1];
      const labels = [1, 0, 0.5];
      const expected = logits.map((x, i) => Math.max(x, 0) - x * (labels[i] ?? 0) + Math.log1p(Math.exp(-Math.abs(x))));
      assertClose(bceWithLogits(tensor(logits), tensor(labels)), [mean(expected)], 1e-6, 'bce');
      assert.throws(
        () => mseLoss(tensor([1, 2]), tensor([[1, 2]])),
        /mseLoss: input \[2\] and target \[1, 2\] must have the same shape/,
      );
    });
  });
});

test('cross-entropy with ignoreIndex and labelSmoothing, on [N, C] and [N, T, C]', async () => {
  await noLeaks(() => {
    tidy(() => {
      const rows = [
        [2, 0.5, -1],
        [0.1, 0.2, 0.3],
        [1, -1, 3],
      ];
      const targets = [0, -100, 2];
      const smoothing = 0.1;
      const perRow = rows.map((row, i) => {
        const nll = negativeLogProbabilities(row);
        const target = targets[i] ?? 0;
        return (1 - smoothing) * (nll[target] ?? 0) + (smoothing * nll.reduce((a, b) => a + b, 0)) / row.length;
      });
      const expected = (perRow[0]! + perRow[2]!) / 2; // the ignored row counts neither in the sum nor the mean
      const logits = tensor(rows);
      const target = tensor(targets, { dtype: 'int64' });
      const loss = crossEntropy(logits, target, { labelSmoothing: smoothing });
      assertClose(loss, [expected], 1e-6, 'hand');
      // PyTorch 1.13: F.cross_entropy(logits, tgt, ignore_index=-100, label_smoothing=0.1) printed 0.36712145805358887
      assertClose(loss, [0.36712145805358887], 1e-6, 'PyTorch');
      const plain = crossEntropy(logits, tensor([0, 1, 2], { dtype: 'int64' }));
      assertClose(plain, [mean(rows.map((row, i) => negativeLogProbabilities(row)[i] ?? 0))], 1e-6, 'no smoothing');
      // [N, T, C] with padding token 0 ignored; 'none' keeps the target's shape and zeroes ignored positions
      const sequence = tensor([rows, rows.map((row) => row.map((v) => -v))]); // [2, 3, 3]
      const tokens = tensor(
        [
          [1, 0, 2],
          [2, 2, 0],
        ],
        { dtype: 'int64' },
      );
      const each = crossEntropy(sequence, tokens, { ignoreIndex: 0, reduction: 'none' });
      assert.deepEqual(each.shape, [2, 3]);
      const expectedEach = [
        [1, 0, 2],
        [2, 2, 0],
      ].flatMap((line, n) =>
        line.map((token, t) => {
          const row = (rows[t] ?? []).map((v) => (n === 0 ? v : -v));
          return token === 0 ? 0 : (negativeLogProbabilities(row)[token] ?? 0);
        }),
      );
      assertClose(each, expectedEach, 1e-6, 'per token');
      assertClose(
        crossEntropy(sequence, tokens, { ignoreIndex: 0 }),
        [expectedEach.reduce((a, b) => a + b, 0) / 4],
        1e-6,
        'mean over kept tokens',
      );
      assert.throws(
        () => crossEntropy(sequence, tensor([[1, 0]], { dtype: 'int64' })),
        /crossEntropy: logits \[\.\.\., C\] need target \[\.\.\.\] .*got logits \[2, 3, 3\] and target \[1, 2\]/,
      );
      assert.throws(
        () => crossEntropy(logits, tensor([0, 1, 2])),
        /target must hold int64 class indices, got float32; convert with \.long\(\)/,
      );
    });
  });
});

test('Gaussian KL against N(0, 1), and the GAN losses', async () => {
  await noLeaks(() => {
    tidy(() => {
      const means = tensor([
        [0, 1],
        [2, 0],
      ]);
      const logVars = tensor([
        [0, Math.log(2)],
        [0, -1],
      ]);
      const elements = [0, 0.5 * (2 + 1 - Math.log(2) - 1), 0.5 * (1 + 4 - 0 - 1), 0.5 * Math.exp(-1)];
      const total = elements.reduce((a, b) => a + b, 0);
      assertClose(gaussianKl(means, logVars), [total / 2], 1e-6, 'batchmean');
      assertClose(gaussianKl(means, logVars, { reduction: 'sum' }), [total], 1e-6, 'sum');
      assertClose(gaussianKl(means, logVars, { reduction: 'mean' }), [total / 4], 1e-6, 'mean');
      assertClose(gaussianKl(means, logVars, { reduction: 'none' }), elements, 1e-6, 'none');

      const real = tensor([2, 0.5]);
      const fake = tensor([-2, 0]);
      assertClose(hingeDiscriminatorLoss(real, fake), [mean([0, 0.5]) + mean([0, 1])], 1e-7, 'hinge D');
      assertClose(hingeGeneratorLoss(fake), [1], 1e-7, 'hinge G');
      assertClose(nonSaturatingGeneratorLoss(fake), [mean([softplus(2), softplus(0)])], 1e-6, 'non-saturating G');
      assertClose(
        nonSaturatingDiscriminatorLoss(real, fake),
        [mean([softplus(-2), softplus(-0.5)]) + mean([softplus(-2), softplus(0)])],
        1e-6,
        'non-saturating D',
      );
    });
  });
});
