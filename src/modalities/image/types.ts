// The decoded image every image function passes around: 8-bit samples in row-major HWC order.

/** 1 = grey, 3 = RGB, 4 = RGBA. */
export type ImageChannels = 1 | 3 | 4;

export interface RawImage {
  /** height * width * channels bytes, rows top to bottom, channels interleaved (HWC). */
  data: Uint8Array;
  height: number;
  width: number;
  channels: ImageChannels;
}

/** An opaque colour: '#rgb', '#rrggbb', or 0-255 components. */
export type Colour = string | { r: number; g: number; b: number };
export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export function parseColour(colour: Colour, what = 'colour'): Rgb {
  if (typeof colour !== 'string') {
    for (const value of [colour.r, colour.g, colour.b]) {
      if (!Number.isFinite(value) || value < 0 || value > 255)
        throw new Error(`${what} components must be numbers in 0..255, got ${JSON.stringify(colour)}`);
    }
    return { r: Math.round(colour.r), g: Math.round(colour.g), b: Math.round(colour.b) };
  }
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(colour);
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  const parts = short ? short.slice(1).map((h) => h + h) : long ? long.slice(1) : undefined;
  if (!parts) throw new Error(`${what} "${colour}" is not a colour; use '#rrggbb', '#rgb' or { r, g, b }`);
  const [r, g, b] = parts.map((h) => parseInt(h, 16)) as [number, number, number];
  return { r, g, b };
}

export function colourHex(colour: Rgb): string {
  return `#${[colour.r, colour.g, colour.b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Throws unless the image's fields agree with each other. */
export function checkImage(image: RawImage, what = 'image'): void {
  const { height, width, channels, data } = image;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`${what} must have positive integer height and width, got ${height}x${width}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new Error(`${what} must have 1, 3 or 4 channels, got ${String(channels)}`);
  if (!(data instanceof Uint8Array)) throw new Error(`${what}.data must be a Uint8Array`);
  if (data.length !== height * width * channels) {
    throw new Error(
      `${what}.data has ${data.length} bytes but ${height}x${width}x${channels} needs ${height * width * channels}`,
    );
  }
}
