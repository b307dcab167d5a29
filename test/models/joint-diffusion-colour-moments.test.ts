// training.autoencoder.colourMoments: the picture latent also predicts its picture's size-free colour moments.
// The moments turn with the shape (an ellipse's c_20 by twice its tilt, a square's c_40 by four times), do not
// change with its size or with a grey background, and are refused for grey pictures; with saturated weights a
// textured heart's one-fold moment turns with it; the term falls as a tiny picture autoencoder learns; nothing
// leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { type ShapeName, renderShape } from '../../src/data/builders/shapes-render.js';
import { type Texture, noiseTexture } from '../../src/data/builders/textures.js';
import { Random } from '../../src/data/random.js';
import { colourMoments } from '../../src/modalities/image/colour-moments.js';
import { JointAutoencoders } from '../../src/models/joint/autoencoders.js';
import { jointDiffusionConfig } from '../../src/models/joint-diffusion.js';
import { partsConfig } from '../../src/models/joint/part-config.js';
import { Tokenizer } from '../../src/modalities/text/index.js';
import { dispose, memory, tensor } from '../../src/tensor/index.js';
import { tinyJointDiffusion, trainedTerm } from './tiny-joint-diffusion.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-colour-moments-'));
const colour = join(root, 'shapes-l3');
await buildDataset({
  builder: 'shapes',
  out: colour,
  seed: 3,
  options: { level: 3, count: 30, val: 0.1, test: 0.1, textures: 'noise' },
});

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The moments [10] of one red shape (flat, or shaded by `texture`) on a flat grey background, 64×64. */
function momentsOf(
  shape: ShapeName,
  rotation: number,
  halfSize = 15,
  backgroundGrey = 200,
  { texture, saturation = 0 }: { texture?: Texture; saturation?: number } = {},
): number[] {
  const image = renderShape(
    {
      shape,
      halfSize,
      rotation,
      centreX: 30,
      centreY: 34,
      fill: { colour: [192, 64, 0], ...(texture ? { texture } : {}) },
      background: { kind: 'black' },
    },
    64,
  );
  const pixels = new Float32Array(3 * 64 * 64);
  for (let pixel = 0; pixel < 64 * 64; pixel++)
    for (let channel = 0; channel < 3; channel++) {
      const value = image.data[pixel * 3 + channel] ?? 0;
      // the black background painted grey: a pixel no part of the shape covers is 0 in every channel
      const covered = image.data[pixel * 3] !== 0 || image.data[pixel * 3 + 1] !== 0;
      pixels[channel * 4096 + pixel] = (covered ? value : backgroundGrey) / 127.5 - 1;
    }
  const picture = tensor(pixels, { shape: [1, 3, 64, 64] });
  const moments = colourMoments(picture, saturation);
  const values = moments.toFlatArray();
  dispose([picture, moments]);
  return values;
}

const angleOf = (values: number[], index: number): number => Math.atan2(values[index + 1] ?? 0, values[index] ?? 0);
const turn = (angle: number): number => Math.atan2(Math.sin(angle), Math.cos(angle));

test('a textured heart’s one-fold moment c_21 turns with its tilt when the weights saturate (a mask of the shape), not when they follow the texture', () => {
  const before = memory().tensors;
  const texture = noiseTexture(new Random(5));
  const worstError = (saturation: number, halfSize: number): number => {
    const options = { texture, saturation };
    const start = momentsOf('heart', 0.2, halfSize, 200, options);
    return Math.max(
      ...[0.9, 1.6, 2.3, 3.0].map((rotation) =>
        Math.abs(
          turn(angleOf(momentsOf('heart', rotation, halfSize, 200, options), 2) - angleOf(start, 2) + (rotation - 0.2)),
        ),
      ),
    );
  };
  for (const halfSize of [7.5, 15]) {
    const masked = worstError(0.2, halfSize);
    const textured = worstError(0, halfSize);
    assert.ok(masked < 0.25, `half size ${halfSize}: the masked c_21 is off the tilt by ${masked} rad`);
    assert.ok(
      textured > 4 * masked,
      `half size ${halfSize}: texture-weighted ${textured} rad against masked ${masked}`,
    );
  }
  assert.equal(memory().tensors, before);
});

test('colour moments turn with the shape: an ellipse’s c_20 by twice its tilt, a square’s c_40 by four times', () => {
  const before = memory().tensors;
  for (const [shape, index, fold] of [
    ['ellipse', 0, 2],
    ['square', 8, 4],
  ] as const) {
    const start = momentsOf(shape, 0.1);
    for (const rotation of [0.3, 0.5, 0.7]) {
      const turned = angleOf(momentsOf(shape, rotation), index) - angleOf(start, index);
      // the picture's rows point down, so a counter-clockwise tilt turns the moments clockwise
      const error = Math.abs(turn(turned + fold * (rotation - 0.1)));
      assert.ok(error < 0.15, `${shape} turned by ${rotation - 0.1}: moment angle off by ${error} rad`);
    }
  }
  assert.equal(memory().tensors, before);
});

test('colour moments do not depend on the shape’s size or a grey background, and are refused for grey pictures', () => {
  const big = momentsOf('ellipse', 0.4, 15, 200);
  const small = momentsOf('ellipse', 0.4, 7.5, 60);
  const size = (values: number[]): number => Math.hypot(values[0] ?? 0, values[1] ?? 0);
  assert.ok(Math.abs(size(small) / size(big) - 1) < 0.1, `|c_20| small ${size(small)} against big ${size(big)}`);
  assert.ok(Math.abs(turn(angleOf(small, 0) - angleOf(big, 0))) < 0.1, 'the same tilt');
  const greyPictures = tensor(new Float32Array(2 * 16 * 16), { shape: [2, 1, 16, 16] });
  assert.throws(() => colourMoments(greyPictures), /colourMoments weighs colour: pictures need 3 channels/);
  greyPictures.dispose();
});

function config(dataset: string, seed: number, momentsSaturation = 0) {
  return tinyJointDiffusion(dataset, {
    seed,
    autoencoder: { steps: 150, batchSize: 6, lr: 3e-3, colourMoments: 10, momentsSaturation },
    score: { steps: 0, batchSize: 6 },
    trainLimit: 6,
    logEvery: 10,
  });
}

for (const seed of [0, 1, 2]) {
  test(`seed ${seed}: the colour-moments term falls below a third as a picture autoencoder learns six pictures`, async () => {
    const before = memory().tensors;
    const moments = await trainedTerm(config(colour, seed), join(root, `moments-${seed}`), 'moments_image');
    assert.ok(moments.length >= 10, 'the term is logged at every log step');
    const [first, last] = [moments[0] ?? 0, moments.at(-1) ?? Infinity];
    assert.ok(last < first / 3, `moments_image ${first} → ${last}`);
    assert.equal(memory().tensors, before);
  });
}

test('with saturated weights (the moments of the shape’s mask) the term falls below a third too', async () => {
  const before = memory().tensors;
  const moments = await trainedTerm(config(colour, 0, 0.2), join(root, 'moments-saturated'), 'moments_image');
  const [first, last] = [moments[0] ?? 0, moments.at(-1) ?? Infinity];
  assert.ok(last < first / 3, `moments_image ${first} → ${last}`);
  assert.equal(memory().tensors, before);
});

test('colour moments over grey pictures are refused, naming the setting, and so is a saturation without the term', () => {
  assert.throws(
    () => jointDiffusionConfig.parse({ dataset: 'd', training: { autoencoder: { momentsSaturation: 0.2 } } }),
    /momentsSaturation shapes the colour-moments term, which is off: set training\.autoencoder\.colourMoments too/,
  );
  const tokenizer = Tokenizer.fromCorpus(['a square'], { level: 'word' });
  assert.throws(
    () =>
      new JointAutoencoders(partsConfig.parse({}), { image: { size: 16, channels: 1 }, tokenizer }, 4, undefined, {
        colourMoments: true,
      }),
    /training\.autoencoder\.colourMoments weighs a picture's colour, and this dataset has 1-channel pictures: leave it at 0/,
  );
});
