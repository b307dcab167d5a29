// Raw HWC bytes <-> CHW tensors, with the value ranges models use.
import { tensor, type Tensor } from '../../tensor/index.js';
import { checkImage, type ImageChannels, type RawImage } from './types.js';

/** unit: [0, 1] float32; signed: [-1, 1] float32 (GAN/VAE outputs); uint8: raw bytes as a uint8 tensor. */
export type PixelRange = 'unit' | 'signed' | 'uint8';
export interface RangeOptions {
  range?: PixelRange;
}

function writeChw(image: RawImage, out: Float32Array | Uint8Array, offset: number, range: PixelRange): void {
  const { height, width, channels, data } = image;
  const plane = height * width;
  const scale = range === 'unit' ? 1 / 255 : range === 'signed' ? 1 / 127.5 : 1;
  const shift = range === 'signed' ? -1 : 0;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      const value = data[p * channels + c] ?? 0;
      out[offset + c * plane + p] = range === 'uint8' ? value : value * scale + shift;
    }
  }
}

function checkRange(range: string): PixelRange {
  if (range !== 'unit' && range !== 'signed' && range !== 'uint8')
    throw new Error(`range must be 'unit', 'signed' or 'uint8', got "${range}"`);
  return range;
}

/** An image as a [C, H, W] tensor (float32 for unit/signed, uint8 for uint8). Default range: signed. */
export function imageToTensor(image: RawImage, options: RangeOptions = {}): Tensor {
  checkImage(image);
  const range = checkRange(options.range ?? 'signed');
  const size = image.height * image.width * image.channels;
  const out = range === 'uint8' ? new Uint8Array(size) : new Float32Array(size);
  writeChw(image, out, 0, range);
  return tensor(out, {
    shape: [image.channels, image.height, image.width],
    dtype: range === 'uint8' ? 'uint8' : 'float32',
  });
}

/** Same-sized images as one [N, C, H, W] tensor. */
export function imagesToTensor(images: RawImage[], options: RangeOptions = {}): Tensor {
  const first = images[0];
  if (first === undefined) throw new Error('imagesToTensor needs at least one image');
  const range = checkRange(options.range ?? 'signed');
  const size = first.height * first.width * first.channels;
  const out = range === 'uint8' ? new Uint8Array(size * images.length) : new Float32Array(size * images.length);
  images.forEach((image, index) => {
    checkImage(image, `image ${index}`);
    if (image.height !== first.height || image.width !== first.width || image.channels !== first.channels) {
      throw new Error(
        `image ${index} is ${image.height}x${image.width}x${image.channels} but image 0 is ${first.height}x${first.width}x${first.channels}; resize them to one size first`,
      );
    }
    writeChw(image, out, index * size, range);
  });
  return tensor(out, {
    shape: [images.length, first.channels, first.height, first.width],
    dtype: range === 'uint8' ? 'uint8' : 'float32',
  });
}

function toBytes(values: ArrayLike<number>, offset: number, length: number, range: PixelRange): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const value = values[offset + i] ?? 0;
    const scaled = range === 'unit' ? value * 255 : range === 'signed' ? (value + 1) * 127.5 : value;
    // NaN maps to 0 rather than poisoning the image.
    out[i] = Number.isNaN(scaled) ? 0 : Math.min(255, Math.max(0, Math.round(scaled)));
  }
  return out;
}

function numbersOf(source: Tensor): ArrayLike<number> {
  const data = source.dataSync();
  return data instanceof BigInt64Array ? Array.from(data, Number) : data;
}

function chwToImage(
  values: ArrayLike<number>,
  offset: number,
  channels: ImageChannels,
  height: number,
  width: number,
  range: PixelRange,
): RawImage {
  const plane = height * width;
  const chw = toBytes(values, offset, plane * channels, range);
  const data = new Uint8Array(plane * channels);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) data[p * channels + c] = chw[c * plane + p] ?? 0;
  return { data, height, width, channels };
}

function checkChannels(channels: number, shape: number[], expected: string): ImageChannels {
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new Error(`expected ${expected} with C = 1, 3 or 4; got [${shape.join(', ')}]`);
  return channels;
}

/** A [C, H, W] (C = 1, 3, 4) or [H, W] tensor back to an image; values are clamped and rounded. Default range: signed. */
export function tensorToImage(source: Tensor, options: RangeOptions = {}): RawImage {
  const range = checkRange(options.range ?? 'signed');
  const shape = source.shape;
  if (shape.length !== 2 && shape.length !== 3)
    throw new Error(
      `tensorToImage expects [C, H, W] or [H, W], got [${shape.join(', ')}] (for a batch use tensorToImages)`,
    );
  const [channels, height, width] =
    shape.length === 2 ? [1, shape[0] ?? 0, shape[1] ?? 0] : (shape as [number, number, number]);
  return chwToImage(numbersOf(source), 0, checkChannels(channels, shape, '[C, H, W]'), height, width, range);
}

/** A [N, C, H, W] tensor to N images. */
export function tensorToImages(batch: Tensor, options: RangeOptions = {}): RawImage[] {
  const range = checkRange(options.range ?? 'signed');
  const shape = batch.shape;
  if (shape.length !== 4) throw new Error(`tensorToImages expects [N, C, H, W], got [${shape.join(', ')}]`);
  const [count, channels, height, width] = shape as [number, number, number, number];
  const checked = checkChannels(channels, shape, '[N, C, H, W]');
  const values = numbersOf(batch);
  const size = channels * height * width;
  return Array.from({ length: count }, (_, index) => chwToImage(values, index * size, checked, height, width, range));
}

/** Each pixel's place from −1 to 1: [1, 2, H, W], its column in channel 0 and its row in channel 1. */
export function pixelPlaces(height: number, width: number): Tensor {
  const places = new Float32Array(2 * height * width);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      places[y * width + x] = width === 1 ? 0 : (2 * x) / (width - 1) - 1;
      places[height * width + y * width + x] = height === 1 ? 0 : (2 * y) / (height - 1) - 1;
    }
  return tensor(places, { shape: [1, 2, height, width] });
}
