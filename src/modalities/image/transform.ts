// Geometry and channel changes on raw images: resize (sharp), centre crop, alpha flattening, grey/RGB.
import { checkSize, sharpFromImage, type Fit, type Kernel } from './codec.js';
import { checkImage, parseColour, type Colour, type ImageChannels, type RawImage } from './types.js';

export interface ResizeOptions {
  fit?: Fit;
  kernel?: Kernel;
  background?: Colour;
}

/** Resizes to [height, width]; cover crops the centre, contain letterboxes with the background. */
export async function resizeImage(
  image: RawImage,
  size: [number, number],
  options: ResizeOptions = {},
): Promise<RawImage> {
  const [height, width] = checkSize(size);
  if (height === image.height && width === image.width) return { ...image, data: image.data.slice() };
  const background = parseColour(options.background ?? '#ffffff', 'background');
  const { data, info } = await sharpFromImage(image)
    .resize({
      width,
      height,
      fit: options.fit ?? 'cover',
      kernel: options.kernel ?? 'lanczos3',
      background: image.channels === 4 ? { ...background, alpha: 0 } : background,
    })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== image.channels)
    throw new Error(`resize produced ${info.channels} channels from a ${image.channels}-channel image`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    height: info.height,
    width: info.width,
    channels: image.channels,
  };
}

/** The central [height, width] window (when the margin is odd, the extra pixel is dropped at the bottom/right). */
export function centerCrop(image: RawImage, size: [number, number]): RawImage {
  checkImage(image);
  const [height, width] = checkSize(size);
  if (height > image.height || width > image.width) {
    throw new Error(`cannot centre-crop a ${image.height}x${image.width} image to ${height}x${width}; resize it first`);
  }
  const top = Math.floor((image.height - height) / 2);
  const left = Math.floor((image.width - width) / 2);
  const rowBytes = width * image.channels;
  const data = new Uint8Array(height * rowBytes);
  for (let row = 0; row < height; row++) {
    const start = ((top + row) * image.width + left) * image.channels;
    data.set(image.data.subarray(start, start + rowBytes), row * rowBytes);
  }
  return { data, height, width, channels: image.channels };
}

/** Composites an RGBA image on an opaque background, giving RGB (other images are returned as a copy). */
export function flattenAlpha(image: RawImage, background: Colour = '#ffffff'): RawImage {
  checkImage(image);
  if (image.channels !== 4) return { ...image, data: image.data.slice() };
  const { r, g, b } = parseColour(background, 'background');
  const pixels = image.height * image.width;
  const data = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const alpha = (image.data[p * 4 + 3] ?? 0) / 255;
    data[p * 3] = Math.round((image.data[p * 4] ?? 0) * alpha + r * (1 - alpha));
    data[p * 3 + 1] = Math.round((image.data[p * 4 + 1] ?? 0) * alpha + g * (1 - alpha));
    data[p * 3 + 2] = Math.round((image.data[p * 4 + 2] ?? 0) * alpha + b * (1 - alpha));
  }
  return { data, height: image.height, width: image.width, channels: 3 };
}

/**
 * Converts between grey, RGB and RGBA. Grey comes from RGB with the Rec. 601 luma weights;
 * dropping alpha composites on the background.
 */
export function convertChannels(image: RawImage, channels: ImageChannels, background: Colour = '#ffffff'): RawImage {
  checkImage(image);
  if (image.channels === channels) return { ...image, data: image.data.slice() };
  const source = image.channels === 4 ? flattenAlpha(image, background) : image;
  const pixels = image.height * image.width;
  const data = new Uint8Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    const red = source.data[p * source.channels] ?? 0;
    const green = source.channels === 1 ? red : (source.data[p * source.channels + 1] ?? 0);
    const blue = source.channels === 1 ? red : (source.data[p * source.channels + 2] ?? 0);
    if (channels === 1) {
      data[p] = Math.round(0.299 * red + 0.587 * green + 0.114 * blue);
    } else {
      data[p * channels] = red;
      data[p * channels + 1] = green;
      data[p * channels + 2] = blue;
      if (channels === 4) data[p * 4 + 3] = image.channels === 4 ? (image.data[p * 4 + 3] ?? 255) : 255;
    }
  }
  return { data, height: image.height, width: image.width, channels };
}
