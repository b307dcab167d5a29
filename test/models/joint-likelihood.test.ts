// A picture part's likelihood: gaussian is −weight · Σ (x − x̂)², laplace −weight · Σ |x − x̂|, per row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PicturePart, noPrivate } from '../../src/models/joint/parts.js';
import { manualSeed, memory, noGrad, randn, tidy } from '../../src/tensor/index.js';

test('the image likelihood is the weighted squared (gaussian) or absolute (laplace) error of the decoded picture', () => {
  const before = memory().tensors;
  manualSeed(3);
  const options = {
    name: 'image' as const,
    size: 16,
    channels: 1,
    sharedDim: 4,
    privateDim: 0,
    featureDim: 8,
    encoderChannels: 4,
    decoderChannels: 8,
    block: 'plain' as const,
    encoderNorm: 'group' as const,
    weight: 0.5,
  };
  for (const likelihood of ['gaussian', 'laplace'] as const) {
    const part = new PicturePart({ ...options, likelihood });
    part.eval();
    const [expected, actual] = noGrad(() =>
      tidy(() => {
        const shared = randn([3, 4]);
        const target = randn([3, 1, 16, 16]).tanh();
        const error = part.decode(shared, noPrivate(3)).sub(target);
        const distance = likelihood === 'laplace' ? error.abs() : error.square();
        const byHand = Array.from(distance.flatten(1).sum(1).toFlatArray(), (value) => -0.5 * Number(value));
        return [byHand, Array.from(part.logLikelihood(shared, noPrivate(3), target).toFlatArray(), Number)];
      }),
    );
    assert.equal(actual.length, 3);
    actual.forEach((value, row) =>
      assert.ok(Math.abs(value - (expected[row] ?? 0)) < 1e-3, `${likelihood} row ${row}`),
    );
    part.dispose();
  }
  assert.equal(memory().tensors, before);
});
