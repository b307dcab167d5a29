// A picture part's likelihood: gaussian is −weight · Σ (x − x̂)², laplace −weight · Σ |x − x̂|, per row; coarseWeight adds the
// distance of 4×4 averages, chromaWeight the distance of the error's colour part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PicturePart, noPrivate } from '../../src/models/joint/parts.js';
import { buildParts, partsConfig } from '../../src/models/joint/part-config.js';
import { Tokenizer } from '../../src/modalities/text/index.js';
import { cat, full, manualSeed, memory, noGrad, randn, tidy, zeros } from '../../src/tensor/index.js';

// a tiny picture part: 16-pixel grey pictures, weight 0.5
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

test('the image likelihood is the weighted squared (gaussian) or absolute (laplace) error of the decoded picture', () => {
  const before = memory().tensors;
  manualSeed(3);
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
  const part = new PicturePart({ ...options, coarseWeight: 2 });
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

test('chromaWeight adds the error less its mean over the channels: a grey error has none', () => {
  const before = memory().tensors;
  const part = new PicturePart({ ...options, channels: 3, chromaWeight: 4 });
  const [grey, red] = tidy(() => {
    const target = randn([1, 3, 4, 4]).tanh();
    // every pixel off by 0.3 in each channel; then by 0.3 in red alone
    const greyError = part.logLikelihoodOf(target.add(0.3), target).toFlatArray();
    const redShift = cat([full([1, 1, 4, 4], 0.3), zeros([1, 2, 4, 4])], 1);
    const redError = part.logLikelihoodOf(target.add(redShift), target).toFlatArray();
    return [Number(greyError[0]), Number(redError[0])];
  });
  assert.ok(Math.abs(grey - -0.5 * 16 * 3 * 0.09) < 1e-4, `grey: ${grey}`);
  // red alone: squared error 0.09 per pixel; less the mean 0.1 it is (0.2, −0.1, −0.1), squares summing to 0.06
  assert.ok(Math.abs(red - -0.5 * 16 * (0.09 + 4 * 0.06)) < 1e-4, `red: ${red}`);
  part.dispose();
  assert.equal(memory().tensors, before);
});

test('chromaWeight is refused where there is no colour to weigh', () => {
  const tokenizer = Tokenizer.fromCorpus(['a square'], { level: 'word' });
  assert.throws(
    () => partsConfig.parse({ audio: { chromaWeight: 1 } }),
    /spectrogram has one channel[\s\S]*audio\.chromaWeight at 0/,
  );
  const grey = partsConfig.parse({ image: { chromaWeight: 1 } });
  assert.throws(
    () => buildParts(grey, { image: { size: 16, channels: 1 }, tokenizer }, 4, 0),
    /chromaWeight weighs colour, and this dataset's pictures have 1 channel/,
  );
});

test('coordinate channels are refused for a sound drawn along frames, and taken by a picture decoder', () => {
  assert.throws(
    () => partsConfig.parse({ audio: { network: 'sequence', coordinates: true } }),
    /sequence network draws along frames[\s\S]*audio\.network: picture/,
  );
  assert.equal(partsConfig.parse({ audio: { network: 'picture', coordinates: true } }).audio.coordinates, true);
  assert.equal(partsConfig.parse({ image: { coordinates: true } }).image.coordinates, true);
});

test('the picture decoder keeps at least decoderMinChannels at its finest level; refused for a sound drawn along frames', () => {
  assert.throws(
    () => partsConfig.parse({ audio: { network: 'sequence', decoderMinChannels: 48 } }),
    /sequence network doubles its widths[\s\S]*audio\.network: picture/,
  );
  const tokenizer = Tokenizer.fromCorpus(['a square'], { level: 'word' });
  const finest = (decoderMinChannels: number | undefined): number[] => {
    const config = partsConfig.parse({
      image: { decoderChannels: 64, ...(decoderMinChannels ? { decoderMinChannels } : {}) },
    });
    const { parts } = buildParts(config, { image: { size: 32, channels: 3 }, tokenizer }, 4, 0);
    const [picture] = parts;
    assert.ok(picture instanceof PicturePart);
    const output = picture.namedParameters().find(([name]) => name === 'decoder.output.weight');
    assert.ok(output, 'the decoder has an output convolution');
    const shape = output[1].shape;
    parts.forEach((part) => part.dispose());
    return shape;
  };
  // 64 channels at 4×4, halved at 8, 16 and 32: 8 at 32×32 under the default floor of 16 is 16
  assert.deepEqual(finest(undefined), [3, 16, 3, 3]);
  assert.deepEqual(finest(24), [3, 24, 3, 3]);
});
