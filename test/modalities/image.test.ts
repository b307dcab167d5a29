import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { tensor, tidy } from '../../src/tensor/index.js';
import {
  centerCrop,
  convertChannels,
  decodeImage,
  encodeImage,
  encodePng,
  flattenAlpha,
  imageToTensor,
  imagesToTensor,
  resizeImage,
  tensorToImage,
  tensorToImages,
  writeContactSheet,
  writeImage,
  type ImageChannels,
  type RawImage,
} from '../../src/modalities/image/index.js';
import { inScratchFolder, seededRandom, withoutLeaks } from './helpers.js';

function noise(height: number, width: number, channels: ImageChannels, seed: number): RawImage {
  const random = seededRandom(seed);
  return {
    data: Uint8Array.from({ length: height * width * channels }, () => Math.floor(random() * 256)),
    height,
    width,
    channels,
  };
}

/** Smooth colour ramps: lossy codecs keep these close. */
function gradient(height: number, width: number): RawImage {
  const data = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      data[at] = Math.round((255 * x) / (width - 1));
      data[at + 1] = Math.round((255 * y) / (height - 1));
      data[at + 2] = 128;
    }
  return { data, height, width, channels: 3 };
}

const meanAbsoluteError = (a: Uint8Array, b: Uint8Array): number =>
  a.reduce((sum, value, i) => sum + Math.abs(value - (b[i] ?? 0)), 0) / a.length;

test('PNG round trip is bit-exact for grey, RGB and RGBA (uint8 → PNG → uint8)', async () => {
  for (const channels of [1, 3, 4] as const) {
    const image = noise(13, 17, channels, channels);
    const png = await encodePng(image);
    assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
    const decoded = await decodeImage(png);
    assert.equal(decoded.channels, channels, 'the file keeps its channel count');
    assert.deepEqual([decoded.height, decoded.width], [13, 17]);
    assert.deepEqual(decoded.data, image.data);
  }
});

test('JPEG and WebP files made with sharp decode to the right size and close pixels', async () => {
  const image = gradient(48, 64);
  const jpeg = await decodeImage(await encodeImage(image, 'jpeg', { quality: 95 }));
  assert.deepEqual([jpeg.height, jpeg.width, jpeg.channels], [48, 64, 3]);
  assert.ok(meanAbsoluteError(jpeg.data, image.data) < 2, `JPEG error ${meanAbsoluteError(jpeg.data, image.data)}`);
  const lossy = await decodeImage(await encodeImage(image, 'webp', { quality: 90 }));
  assert.deepEqual([lossy.height, lossy.width, lossy.channels], [48, 64, 3]);
  assert.ok(meanAbsoluteError(lossy.data, image.data) < 3, `WebP error ${meanAbsoluteError(lossy.data, image.data)}`);
  const lossless = await decodeImage(await encodeImage(image, 'webp', { lossless: true }));
  assert.deepEqual(lossless.data, image.data);
  // A file on disk decodes like its bytes.
  await inScratchFolder(async (folder) => {
    const path = join(folder, 'ramp.jpg');
    await writeImage(path, image);
    const fromFile = await decodeImage(path, { channels: 1 });
    assert.deepEqual([fromFile.height, fromFile.width, fromFile.channels], [48, 64, 1]);
  });
});

test('decoding converts channels and composites alpha on the background', async () => {
  // Pixel 0 opaque red, pixel 1 fully transparent, pixel 2 half-transparent blue.
  const rgba: RawImage = {
    data: Uint8Array.from([255, 0, 0, 255, 10, 20, 30, 0, 0, 0, 255, 128]),
    height: 1,
    width: 3,
    channels: 4,
  };
  const png = await encodePng(rgba);
  assert.deepEqual((await decodeImage(png)).data, rgba.data, 'RGBA stays RGBA by default');
  const onGreen = await decodeImage(png, { channels: 3, background: '#00ff00' });
  assert.equal(onGreen.channels, 3);
  assert.deepEqual([...onGreen.data.subarray(0, 6)], [255, 0, 0, 0, 255, 0]);
  const blended = [...onGreen.data.subarray(6, 9)];
  assert.ok(
    Math.abs((blended[1] ?? 0) - 127) <= 2 && Math.abs((blended[2] ?? 0) - 128) <= 2 && (blended[0] ?? 9) <= 1,
    `half blue on green: ${blended}`,
  );
  const grey = await decodeImage(png, { channels: 1 });
  assert.equal(grey.data.length, 3);
  const reference = flattenAlpha(rgba, '#00ff00');
  assert.deepEqual([...reference.data], [255, 0, 0, 0, 255, 0, 0, 127, 128]);
  const greyFromRgb = convertChannels(
    { data: Uint8Array.from([255, 255, 255, 255, 0, 0]), height: 1, width: 2, channels: 3 },
    1,
  );
  assert.deepEqual([...greyFromRgb.data], [255, 76]);
  assert.deepEqual([...convertChannels(greyFromRgb, 4).data], [255, 255, 255, 255, 76, 76, 76, 255]);
});

test('decoding to a size: cover crops, contain letterboxes with the background, fill stretches', async () => {
  const wide = await encodePng({ data: new Uint8Array(20 * 40 * 3).fill(200), height: 20, width: 40, channels: 3 });
  for (const fit of ['cover', 'contain', 'fill'] as const) {
    const image = await decodeImage(wide, { size: [16, 16], fit, background: '#000000' });
    assert.deepEqual([image.height, image.width, image.channels], [16, 16, 3], fit);
  }
  const contained = await decodeImage(wide, { size: [16, 16], fit: 'contain', background: '#000000' });
  assert.equal(contained.data[0], 0, 'the top row is letterbox');
  assert.equal(contained.data[(8 * 16 + 8) * 3], 200, 'the middle is the image');
  const covered = await decodeImage(wide, { size: [16, 16], fit: 'cover', background: '#000000' });
  assert.ok(
    covered.data.every((value) => value === 200),
    'cover leaves no background',
  );
});

test('HWC bytes become CHW tensors in each range and come back exactly', async () => {
  await withoutLeaks(() => {
    const image = noise(5, 6, 3, 7);
    const channel = 2;
    const [y, x] = [3, 4];
    const byte = image.data[(y * 6 + x) * 3 + channel] ?? 0;
    for (const [range, expected] of [
      ['unit', byte / 255],
      ['signed', byte / 127.5 - 1],
      ['uint8', byte],
    ] as const) {
      tidy(() => {
        const chw = imageToTensor(image, { range });
        assert.deepEqual(chw.shape, [3, 5, 6]);
        assert.equal(chw.dtype, range === 'uint8' ? 'uint8' : 'float32');
        assert.ok(Math.abs(chw.select(0, channel).select(0, y).select(0, x).item() - expected) < 1e-6, range);
        assert.deepEqual(tensorToImage(chw, { range }).data, image.data, `${range} round trip`);
      });
    }
    tidy(() => {
      const signed = imageToTensor(image);
      assert.ok(signed.min().item() >= -1 && signed.max().item() <= 1, 'signed is the default range, in [-1, 1]');
      // A permuted (non-contiguous) view converts like a contiguous tensor.
      const hwc = tensor(image.data, { shape: [5, 6, 3], dtype: 'uint8' }).permute(2, 0, 1);
      assert.deepEqual(tensorToImage(hwc, { range: 'uint8' }).data, image.data);
      // Out-of-range values clamp; [H, W] gives grey.
      const grey = tensorToImage(tensor([[-3, -1, 0, 1, 2]]), { range: 'signed' });
      assert.equal(grey.channels, 1);
      assert.deepEqual([...grey.data], [0, 0, 128, 255, 255]);
      const batch = imagesToTensor([image, noise(5, 6, 3, 8)], { range: 'unit' });
      assert.deepEqual(batch.shape, [2, 3, 5, 6]);
      const [first, second] = tensorToImages(batch, { range: 'unit' });
      assert.deepEqual(first?.data, image.data);
      assert.deepEqual(second?.data, noise(5, 6, 3, 8).data);
      assert.throws(() => tensorToImage(tensor([[[[0]]]])), /\[C, H, W\]/);
      assert.throws(() => tensorToImage(tensor(new Float32Array(2 * 4), { shape: [2, 2, 2] })), /C = 1, 3 or 4/);
      assert.throws(() => imagesToTensor([image, noise(4, 6, 3, 1)]), /image 1 is 4x6x3 but image 0 is 5x6x3/);
    });
  });
});

test('resize and centre crop give the asked shapes; the crop is the exact middle window', async () => {
  const image = noise(30, 40, 3, 3);
  for (const size of [
    [16, 16],
    [45, 20],
    [30, 40],
  ] as [number, number][]) {
    const resized = await resizeImage(image, size);
    assert.deepEqual(
      [resized.height, resized.width, resized.channels, resized.data.length],
      [...size, 3, size[0] * size[1] * 3],
    );
  }
  const rgba = await resizeImage(noise(8, 8, 4, 1), [4, 6], { fit: 'contain' });
  assert.equal(rgba.channels, 4);
  const cropped = centerCrop(image, [10, 20]);
  assert.deepEqual([cropped.height, cropped.width], [10, 20]);
  // Top-left of the crop is source pixel (10, 10).
  assert.deepEqual(
    [...cropped.data.subarray(0, 3)],
    [...image.data.subarray((10 * 40 + 10) * 3, (10 * 40 + 10) * 3 + 3)],
  );
  const lastRow = 9 * 20 * 3;
  assert.deepEqual(
    [...cropped.data.subarray(lastRow, lastRow + 3)],
    [...image.data.subarray((19 * 40 + 10) * 3, (19 * 40 + 10) * 3 + 3)],
  );
  assert.throws(() => centerCrop(image, [31, 10]), /cannot centre-crop a 30x40 image to 31x10/);
  await assert.rejects(resizeImage(image, [0, 5]), /size must be \[height, width\] positive integers/);
});

test('contact sheet: grid size from tiles, padding and captions; tiles land where expected', async () => {
  await inScratchFolder(async (folder) => {
    const colours = [
      [255, 0, 0],
      [0, 128, 255],
      [20, 200, 20],
      [250, 250, 0],
      [90, 0, 90],
    ];
    const tiles = colours.map(([r, g, b], index) => ({
      image: {
        data: Uint8Array.from({ length: 16 * 16 * 3 }, (_, i) => [r, g, b][i % 3] ?? 0),
        height: 16,
        width: 16,
        channels: 3 as const,
      },
      caption: `tile ${index}`,
    }));
    const path = join(folder, 'sheet.png');
    const result = await writeContactSheet(path, tiles, {
      columns: 3,
      tileSize: [32, 32],
      padding: 4,
      fontSize: 10,
      captionLines: 2,
    });
    // 3 columns of 32 px with 4 gaps of 4 px; 2 rows of (32 px tile + 2 lines of ceil(12.5) px + 2) with 3 gaps.
    const captionHeight = 2 * 13 + 2;
    assert.deepEqual(
      [result.width, result.height, result.rows, result.columns],
      [3 * 32 + 4 * 4, 2 * (32 + captionHeight) + 3 * 4, 2, 3],
    );
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [result.width, result.height, 3]);
    const pixel = (x: number, y: number): number[] => [
      ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
    ];
    // Tile 4 is row 1, column 1: its centre.
    assert.deepEqual(pixel(4 + 36 + 16, 4 + (32 + captionHeight + 4) + 16), [90, 0, 90]);
    assert.deepEqual(pixel(1, 1), [255, 255, 255], 'background between tiles');
    // The caption strip under tile 0 holds dark text pixels; the empty sixth cell's strip holds none.
    const darkIn = (left: number, top: number): number => {
      let dark = 0;
      for (let y = top; y < top + captionHeight; y++)
        for (let x = left; x < left + 32; x++) if ((pixel(x, y)[0] ?? 255) < 128) dark++;
      return dark;
    };
    assert.ok(darkIn(4, 4 + 32) > 10, `caption text drawn (${darkIn(4, 4 + 32)} dark pixels)`);
    assert.equal(darkIn(4 + 2 * 36, 4 + (32 + captionHeight + 4) + 32), 0);
    // Without captions there is no caption strip; the file is written whole (no temporary left).
    const plain = await writeContactSheet(
      join(folder, 'plain.webp'),
      tiles.map(({ image }) => ({ image })),
      { columns: 5, padding: 0 },
    );
    assert.deepEqual([plain.width, plain.height], [5 * 16, 16]);
    assert.deepEqual((await readdir(folder)).sort(), ['plain.webp', 'sheet.png']);
    await assert.rejects(writeContactSheet(join(folder, 'x.png'), []), /no tiles/);
    await assert.rejects(writeContactSheet(join(folder, 'x.gif'), tiles), /unknown extension "\.gif"/);
  });
});

test('bad input: corrupt, truncated, empty, missing and unsupported files raise errors naming the file', async () => {
  await inScratchFolder(async (folder) => {
    const text = join(folder, 'notes.png');
    await writeFile(text, 'this is not an image');
    await assert.rejects(
      decodeImage(text),
      (error: Error) => error.message.includes(text) && /unsupported image format/.test(error.message),
    );
    const png = await encodePng(noise(32, 32, 3, 1));
    const truncated = join(folder, 'truncated.png');
    await writeFile(truncated, png.subarray(0, png.length - 200));
    await assert.rejects(decodeImage(truncated), (error: Error) =>
      error.message.startsWith(`cannot decode image ${truncated}:`),
    );
    const empty = join(folder, 'empty.jpg');
    await writeFile(empty, '');
    await assert.rejects(decodeImage(empty), new RegExp(`${empty}: the file is empty`));
    await assert.rejects(decodeImage(join(folder, 'missing.png')), /missing\.png: no such file/);
    await assert.rejects(
      decodeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>'), { name: 'icon.svg' }),
      /icon\.svg: unsupported format "svg"/,
    );
    await assert.rejects(writeImage(join(folder, 'out.bmp'), noise(2, 2, 3, 1)), /unknown extension "\.bmp"/);
    await assert.rejects(
      encodePng({ data: new Uint8Array(5), height: 2, width: 2, channels: 3 }),
      /has 5 bytes but 2x2x3 needs 12/,
    );
  });
});
