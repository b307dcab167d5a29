// The image networks the GAN is built from: residual and plain generators give the asked shapes at any
// size, the critic's minibatch-std channel compares only images of one group, and the label classifier
// learns to name what an image shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConditionalGenerator, withCoordinates } from '../../src/modalities/image/conditional-generator.js';
import { ConvEncoder } from '../../src/modalities/image/conv-encoder.js';
import { LabelClassifier } from '../../src/modalities/image/label-classifier.js';
import { ProjectionDiscriminator, groupSizeFor } from '../../src/modalities/image/projection-discriminator.js';
import { Adam } from '../../src/optim/index.js';
import { bceWithLogits } from '../../src/nn/index.js';
import { type Tensor, cat, manualSeed, noGrad, ones, randn, tidy, zeros } from '../../src/tensor/index.js';
import { withoutLeaks } from './helpers.js';

test('group sizes divide the batch, so reals and fakes sharing one call never share a group', () => {
  assert.equal(groupSizeFor(32, 4), 4);
  assert.equal(groupSizeFor(6, 4), 3);
  assert.equal(groupSizeFor(7, 4), 1);
  assert.equal(groupSizeFor(2, 4), 2);
  assert.equal(groupSizeFor(8, 0), 1);
});

test('coordinate channels: two more channels, each pixel’s column and row from −1 to 1, the same for every row of the batch', async () => {
  await withoutLeaks(() => {
    const placed = tidy(() => withCoordinates(zeros([2, 3, 4, 5])));
    assert.deepEqual(placed.shape, [2, 5, 4, 5]);
    const values = placed.toFlatArray();
    const at = (row: number, channel: number, y: number, x: number): number =>
      values[((row * 5 + channel) * 4 + y) * 5 + x] as number;
    assert.equal(at(1, 3, 2, 0), -1, 'column 0 is −1');
    assert.equal(at(1, 3, 0, 4), 1, 'the last column is 1');
    assert.equal(at(0, 3, 3, 2), 0, 'the middle column is 0');
    assert.equal(at(0, 4, 0, 3), -1, 'row 0 is −1');
    assert.equal(at(1, 4, 3, 1), 1, 'the last row is 1');
    assert.ok(Math.abs(at(1, 4, 1, 1) + 1 / 3) < 1e-6, 'row 1 of 4 is −1/3');
    assert.equal(at(0, 0, 2, 2), 0, 'the input channels are kept');
    placed.dispose();
  });
});

test('generators: residual and plain blocks, with or without a sub-pixel last doubling, coordinate channels or a broadcast start, give [B, C, S, S] in [-1, 1], also at a size that is not a power of two', async () => {
  await withoutLeaks(() => {
    manualSeed(1);
    for (const [block, subpixel, coordinates, broadcast] of [
      ['residual', false, false, undefined],
      ['plain', false, false, undefined],
      ['residual', true, false, undefined],
      ['residual', true, true, undefined],
      ['plain', false, true, undefined],
      ['residual', true, true, 8],
      ['residual', false, false, 4],
    ] as const) {
      for (const [size, channels] of [
        [32, 3],
        [28, 1],
      ] as const) {
        const generator = new ConditionalGenerator({
          subpixel,
          coordinates,
          ...(broadcast === undefined ? {} : { broadcast }),
          noiseDim: 8,
          conditionDim: 4,
          imageSize: size,
          channels,
          baseChannels: 32,
          minChannels: 8,
          block,
        });
        const images = tidy(() => noGrad(() => generator.forward(randn([3, 8]), randn([3, 4]))));
        assert.deepEqual(images.shape, [3, channels, size, size]);
        const values = images.toFlatArray();
        assert.ok(
          values.every((value) => value >= -1 && value <= 1),
          `${block} output stays in [-1, 1]`,
        );
        assert.ok(Math.max(...values) - Math.min(...values) > 1e-3, `${block} output is not constant`);
        images.dispose();
        generator.dispose();
      }
    }
  });
});

test('generators: a sub-pixel last doubling learns to draw given pictures (its squared error falls twentyfold in 60 steps)', async () => {
  await withoutLeaks(() => {
    manualSeed(4);
    const generator = new ConditionalGenerator({
      noiseDim: 0,
      conditionDim: 4,
      imageSize: 16,
      channels: 3,
      baseChannels: 32,
      minChannels: 8,
      block: 'residual',
      subpixel: true,
    });
    const optimizer = new Adam(generator, { lr: 3e-3 });
    // four conditions, each with its own picture: a lit square at its own corner
    const [conditions, targets] = tidy(() => {
      const pictures = [0, 1, 2, 3].map((corner) =>
        zeros([1, 3, 16, 16])
          .sub(1)
          .add(
            ones([1, 3, 8, 8])
              .mul(2)
              .pad([(corner % 2) * 8, 8 - (corner % 2) * 8, (corner >> 1) * 8, 8 - (corner >> 1) * 8]),
          ),
      );
      return [randn([4, 4]), cat(pictures, 0)];
    }) as [Tensor, Tensor];
    const errors: number[] = [];
    for (let step = 0; step < 60; step++)
      errors.push(
        tidy(() => {
          const loss = generator
            .forward(zeros([4, 0]), conditions)
            .sub(targets)
            .square()
            .mean();
          optimizer.zeroGrad();
          loss.backward();
          optimizer.step();
          return loss.item();
        }),
      );
    assert.ok((errors.at(-1) as number) < (errors[0] as number) * 0.05, `error falls: ${errors[0]} → ${errors.at(-1)}`);
    conditions.dispose();
    targets.dispose();
    optimizer.dispose();
    generator.dispose();
  });
});

test('a grid latent is spatial: a change in one corner of the picture moves only nearby cells, and a change of one cell redraws nearby pixels, not far ones', async () => {
  await withoutLeaks(() => {
    manualSeed(4);
    for (const grid of [4, 8]) {
      const cells = grid * grid;
      // batch norm in eval mode: every pixel normalised alone, so a receptive field is all that links them
      const encoder = new ConvEncoder({
        imageSize: 64,
        channels: 3,
        outputDim: 2 * cells,
        normalization: 'batch',
        grid,
      });
      const decoder = new ConditionalGenerator({
        noiseDim: 0,
        conditionDim: 2 * cells,
        imageSize: 64,
        channels: 3,
        baseChannels: 32,
        block: 'residual',
        subpixel: true,
        inputGrid: grid,
      });
      encoder.eval();
      decoder.eval();
      noGrad(() =>
        tidy(() => {
          const picture = randn([1, 3, 64, 64]);
          const cornered = picture.clone();
          cornered.narrow(2, 0, 4).narrow(3, 0, 4).fill_(1);
          // channel-major cells [c, G, G]: the first and last cell of channel 0
          const latents = encoder.forward(cat([picture, cornered], 0)).reshape(2, 2, grid, grid);
          assert.deepEqual(latents.shape, [2, 2, grid, grid]);
          const moved = latents.select(0, 0).sub(latents.select(0, 1)).abs();
          assert.ok(moved.select(1, 0).select(1, 0).max().item() > 1e-3, 'the corner cell moves');
          assert.equal(
            moved
              .select(1, grid - 1)
              .select(1, grid - 1)
              .max()
              .item(),
            0,
            'the far cell stays',
          );

          const latent = randn([1, 2 * cells]);
          const changed = latent.clone();
          changed.narrow(1, 0, 1).fill_(5);
          const drawn = decoder.forward(zeros([2, 0]), cat([latent, changed], 0));
          assert.deepEqual(drawn.shape, [2, 3, 64, 64]);
          const redrawn = drawn.select(0, 0).sub(drawn.select(0, 1)).abs();
          const corner = (start: number): number => redrawn.narrow(1, start, 8).narrow(2, start, 8).max().item();
          assert.ok(corner(0) > 1e-4, 'pixels by the changed cell are redrawn');
          // a 4×4 grid's receptive fields reach across 64 pixels, if only just; an 8×8 grid's do not
          if (grid === 8) assert.equal(corner(56), 0, 'pixels far from it stay');
          else assert.ok(corner(56) < corner(0) / 100, `far pixels barely move: ${corner(56)} against ${corner(0)}`);
        }),
      );
      encoder.dispose();
      decoder.dispose();
    }
  });
});

test('minibatch std: an image changes the features of its own group only', async () => {
  await withoutLeaks(() => {
    manualSeed(2);
    const critic = new ProjectionDiscriminator({
      imageSize: 16,
      channels: 3,
      conditionDim: 4,
      baseChannels: 8,
      minibatchStdGroup: 2,
    });
    // eval mode: spectral norm's power iteration would otherwise change the weights between the two calls
    critic.eval();
    const [before, after] = tidy(() => {
      const images = randn([4, 3, 16, 16]);
      // image 0 replaced: images 0 and 1 form group one, 2 and 3 group two
      const changed = cat([randn([1, 3, 16, 16]), images.narrow(0, 1, 3)], 0);
      return [noGrad(() => critic.features(images, 2)), noGrad(() => critic.features(changed, 2))];
    }) as [Tensor, Tensor];
    const differs = (row: number): boolean => {
      const a = before.select(0, row).toFlatArray();
      const b = after.select(0, row).toFlatArray();
      return a.some((value, index) => Math.abs(value - (b[index] ?? 0)) > 1e-6);
    };
    tidy(() => {
      assert.ok(differs(1), 'the other image of the changed group sees the new spread');
      assert.ok(!differs(2) && !differs(3), 'the other group is untouched');
    });
    before.dispose();
    after.dispose();
    critic.dispose();
  });
});

test('label classifier: a few dozen steps teach it which half of an image is lit (beats chance on fresh images)', async () => {
  await withoutLeaks(() => {
    manualSeed(3);
    const classifier = new LabelClassifier({ imageSize: 16, channels: 1, labels: 2, baseChannels: 8 });
    const optimizer = new Adam(classifier, { lr: 3e-3 });
    // label 0: left half lit, label 1: right half lit; noise on top
    const batchOf = (count: number): [Tensor, Tensor] =>
      tidy(() => {
        const side = randn([count]).gt(0).float();
        const columns = zeros([1, 1, 1, 16]).add(cat([zeros([8]).sub(1), zeros([8]).add(1)], 0).view(1, 1, 1, 16));
        const rightLit = columns.mul(side.view(count, 1, 1, 1).mul(2).sub(1));
        const images = rightLit.expand(count, 1, 16, 16).add(randn([count, 1, 16, 16]).mul(0.8));
        return [images, cat([side.rsub(1).unsqueeze(1), side.unsqueeze(1)], 1)];
      }) as [Tensor, Tensor];
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      const [images, labels] = batchOf(16);
      losses.push(
        tidy(() => {
          const loss = bceWithLogits(classifier.forward(images), labels);
          optimizer.zeroGrad();
          loss.backward();
          optimizer.step();
          return loss.item();
        }),
      );
      images.dispose();
      labels.dispose();
    }
    assert.ok((losses.at(-1) as number) < (losses[0] as number) * 0.5, `loss falls: ${losses[0]} → ${losses.at(-1)}`);
    classifier.eval();
    const [images, labels] = batchOf(64);
    const accuracy = tidy(() =>
      noGrad(() => classifier.forward(images))
        .argmax(1)
        .eq(labels.argmax(1))
        .float()
        .mean()
        .item(),
    );
    assert.ok(accuracy > 0.9, `held-out accuracy ${accuracy} beats chance (0.5)`);
    for (const t of [images, labels]) t.dispose();
    optimizer.dispose();
    classifier.dispose();
  });
});
