// A picture part's likelihood: gaussian is −weight · Σ (x − x̂)², laplace −weight · Σ |x − x̂|, per row; coarseWeight adds the
// distance of 4×4 averages.
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

test('coarseWeight adds the distance of 4×4 averages, each counted for its 16 pixels', () => {
  const before = memory().tensors;
  manualSeed(4);
  const part = new PicturePart({
    name: 'image',
    size: 16,
    channels: 1,
    sharedDim: 4,
    privateDim: 0,
    featureDim: 8,
    encoderChannels: 4,
    decoderChannels: 8,
    block: 'plain',
    encoderNorm: 'group',
    weight: 0.5,
    coarseWeight: 2,
  });
  part.eval();
  const [expected, actual] = noGrad(() =>
    tidy(() => {
      const shared = randn([3, 4]);
      const target = randn([3, 1, 16, 16]).tanh();
      const error = part.decode(shared, noPrivate(3)).sub(target);
      // rows and columns split into (block, pixel within the block): the mean over each block's 16 pixels
      const blocks = error.reshape(3, 1, 4, 4, 4, 4).mean(5).mean(3);
      const fine = error.square().flatten(1).sum(1);
      const coarse = blocks
        .square()
        .flatten(1)
        .sum(1)
        .mul(16 * 2);
      const byHand = Array.from(fine.add(coarse).toFlatArray(), (value) => -0.5 * Number(value));
      const plain = Array.from(fine.toFlatArray(), (value) => -0.5 * Number(value));
      return [byHand.concat(plain), Array.from(part.logLikelihood(shared, noPrivate(3), target).toFlatArray(), Number)];
    }),
  );
  actual.forEach((value, row) => assert.ok(Math.abs(value - (expected[row] ?? 0)) < 1e-3, `row ${row}`));
  // the averages' term is there: every row is below its pixel-level distance alone
  actual.forEach((value, row) => assert.ok(value < (expected[row + 3] ?? 0) - 1e-3, `row ${row} has a coarse term`));
  part.dispose();
  assert.equal(memory().tensors, before);
});
