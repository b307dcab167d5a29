// Decoding image files to raw HWC bytes and encoding raw bytes to PNG/JPEG/WebP, through sharp.
import sharp, { type Metadata, type Sharp } from 'sharp';
import { extname } from 'node:path';
import { checkImage, parseColour, type Colour, type ImageChannels, type RawImage } from './types.js';
import { loadBytes, reasonOf, writeFileAtomic } from '../../data/files.js';

export type Fit = 'cover' | 'contain' | 'fill';
export type Kernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

export interface DecodeOptions {
  /** Output channels; default 1 for grey files, 4 for files with alpha, else 3. */
  channels?: ImageChannels;
  /** Resize to [height, width] after decoding. */
  size?: [number, number];
  /** How to fit a different aspect ratio: crop the centre (cover, default), letterbox (contain), or stretch (fill). */
  fit?: Fit;
  kernel?: Kernel;
  /** Alpha is composited on this when the output has no alpha channel, and letterbox bars use it. Default white. */
  background?: Colour;
  /** How to name in-memory bytes in error messages. */
  name?: string;
}

const decodable = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff']);

/** Decodes a PNG, JPEG, WebP (or GIF/TIFF) file or buffer to 8-bit HWC bytes. */
export async function decodeImage(input: Uint8Array | string, options: DecodeOptions = {}): Promise<RawImage> {
  const { bytes, label } = await loadBytes(input, options.name, 'image');
  if (bytes.length === 0) throw new Error(`cannot decode image ${label}: the file is empty`);
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes).metadata();
  } catch (error) {
    throw new Error(`cannot decode image ${label}: ${reasonOf(error)}; expected a PNG, JPEG or WebP file`, {
      cause: error,
    });
  }
  if (!decodable.has(metadata.format)) {
    throw new Error(
      `cannot decode image ${label}: unsupported format "${metadata.format}"; convert it to PNG, JPEG or WebP`,
    );
  }
  const hasAlpha = metadata.hasAlpha;
  const channels: ImageChannels = options.channels ?? (hasAlpha ? 4 : metadata.channels === 1 ? 1 : 3);
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new Error(`channels must be 1, 3 or 4, got ${String(channels)}`);
  const background = parseColour(options.background ?? '#ffffff', 'background');
  let pipeline = sharp(bytes, { failOn: 'error' }).autoOrient();
  if (options.size) {
    const [height, width] = checkSize(options.size);
    pipeline = pipeline.resize({
      width,
      height,
      fit: options.fit ?? 'cover',
      kernel: options.kernel ?? 'lanczos3',
      background: channels === 4 ? { ...background, alpha: 0 } : background,
    });
  }
  if (channels !== 4) pipeline = pipeline.flatten({ background });
  pipeline = pipeline.toColourspace(channels === 1 ? 'b-w' : 'srgb');
  if (channels === 4) pipeline = pipeline.ensureAlpha();
  try {
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== channels)
      throw new Error(`decoder produced ${info.channels} channels instead of ${channels}`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      height: info.height,
      width: info.width,
      channels,
    };
  } catch (error) {
    throw new Error(`cannot decode image ${label}: ${reasonOf(error)}`, { cause: error });
  }
}

export function checkSize(size: readonly number[], what = 'size'): [number, number] {
  const [height, width] = size;
  if (
    size.length !== 2 ||
    !Number.isInteger(height) ||
    !Number.isInteger(width) ||
    (height ?? 0) < 1 ||
    (width ?? 0) < 1
  ) {
    throw new Error(`${what} must be [height, width] positive integers, got ${JSON.stringify(size)}`);
  }
  return [height as number, width as number];
}

/** A sharp pipeline reading a raw image. */
export function sharpFromImage(image: RawImage): Sharp {
  checkImage(image);
  const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  // Without this sharp stores one-channel input as RGB.
  return image.channels === 1 ? pipeline.toColourspace('b-w') : pipeline;
}

/** Lossless PNG bytes of an image (grey, RGB or RGBA as given). */
export async function encodePng(image: RawImage): Promise<Buffer> {
  return sharpFromImage(image).png({ compressionLevel: 6 }).toBuffer();
}

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export async function encodeImage(
  image: RawImage,
  format: ImageFormat,
  options: { quality?: number; lossless?: boolean } = {},
): Promise<Buffer> {
  const pipeline = sharpFromImage(image);
  switch (format) {
    case 'png':
      return pipeline.png().toBuffer();
    case 'jpeg':
      return pipeline.jpeg({ quality: options.quality ?? 90 }).toBuffer();
    case 'webp':
      return pipeline.webp({ quality: options.quality ?? 90, lossless: options.lossless ?? false }).toBuffer();
    default:
      throw new Error(`unknown image format "${String(format)}"; use png, jpeg or webp`);
  }
}

/** The output format a file name asks for. */
export function formatOfPath(path: string): ImageFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.png') return 'png';
  if (extension === '.jpg' || extension === '.jpeg') return 'jpeg';
  if (extension === '.webp') return 'webp';
  throw new Error(`cannot write image ${path}: unknown extension "${extension}"; use .png, .jpg or .webp`);
}

/** Writes an image (format from the extension) to a temporary name, then renames it into place. */
export async function writeImage(path: string, image: RawImage, options: { quality?: number } = {}): Promise<void> {
  const bytes = await encodeImage(image, formatOfPath(path), options);
  await writeFileAtomic(path, bytes);
}
