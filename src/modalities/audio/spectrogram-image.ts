// Spectrograms as pictures: low frequencies at the bottom, time to the right, a magma-like colour map.
import sharp from 'sharp';
import { tidy, type Tensor } from '../../tensor/index.js';
import { writeFileAtomic } from '../../data/files.js';

// matplotlib's magma sampled at ten evenly spaced points; colours in between are interpolated.
const magma: [number, number, number][] = [
  [0x00, 0x00, 0x04],
  [0x18, 0x0f, 0x3d],
  [0x44, 0x0f, 0x76],
  [0x72, 0x1f, 0x81],
  [0x9e, 0x2f, 0x7f],
  [0xcd, 0x40, 0x71],
  [0xf1, 0x60, 0x5d],
  [0xfd, 0x96, 0x68],
  [0xfe, 0xca, 0x8d],
  [0xfc, 0xfd, 0xbf],
];

/** RGB of a value in [0, 1] on the magma-like map. */
export function magmaColour(value: number): [number, number, number] {
  const clamped = Number.isNaN(value) ? 0 : Math.min(1, Math.max(0, value));
  const position = clamped * (magma.length - 1);
  const index = Math.min(magma.length - 2, Math.floor(position));
  const fraction = position - index;
  const low = magma[index] as [number, number, number];
  const high = magma[index + 1] as [number, number, number];
  return [0, 1, 2].map((c) => Math.round((low[c] ?? 0) + ((high[c] ?? 0) - (low[c] ?? 0)) * fraction)) as [
    number,
    number,
    number,
  ];
}

export interface SpectrogramImageOptions {
  /**
   * 'magnitude': linear |STFT| (shown in dB); 'log': already logarithmic (log-mel, dB).
   * Default 'auto': log when any value is negative, magnitude otherwise.
   */
  input?: 'auto' | 'magnitude' | 'log';
  /** Decibels shown below the loudest bin for magnitude input; default 80. */
  dynamicRange?: number;
}

export interface SpectrogramImage {
  data: Uint8Array;
  height: number;
  width: number;
  channels: 3;
}

/** Colours a [bins, frames] spectrogram (complex input is taken as its magnitude). */
export function spectrogramToImage(spectrogram: Tensor, options: SpectrogramImageOptions = {}): SpectrogramImage {
  const shape = spectrogram.shape;
  const squeezed = shape.length === 3 && shape[0] === 1 ? shape.slice(1) : shape;
  if (squeezed.length !== 2) throw new Error(`a spectrogram image needs [bins, frames], got [${shape.join(', ')}]`);
  const [height, width] = squeezed as [number, number];
  const values = tidy(() => {
    const real = spectrogram.dtype === 'complex64' ? spectrogram.abs() : spectrogram.float();
    return Float32Array.from(real.dataSync() as Float32Array);
  });
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values)
    if (Number.isFinite(value)) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
  const mode = options.input ?? 'auto';
  const isLog = mode === 'log' || (mode === 'auto' && min < 0);
  let level: (value: number) => number;
  if (isLog) {
    const span = max - min;
    level = (value) => (span > 0 ? (value - min) / span : 0);
  } else {
    const range = options.dynamicRange ?? 80;
    const peak = 20 * Math.log10(Math.max(max, 1e-10));
    level = (value) => (20 * Math.log10(Math.max(value, 1e-10)) - (peak - range)) / range;
  }
  const data = new Uint8Array(height * width * 3);
  for (let bin = 0; bin < height; bin++) {
    const row = height - 1 - bin;
    for (let frame = 0; frame < width; frame++) {
      const [r, g, b] = magmaColour(level(values[bin * width + frame] ?? 0));
      const at = (row * width + frame) * 3;
      data[at] = r;
      data[at + 1] = g;
      data[at + 2] = b;
    }
  }
  return { data, height, width, channels: 3 };
}

/** Writes a spectrogram as a PNG (temporary name, then rename); returns the picture size. */
export async function writeSpectrogramPng(
  path: string,
  spectrogram: Tensor,
  options: SpectrogramImageOptions = {},
): Promise<{ width: number; height: number }> {
  const image = spectrogramToImage(spectrogram, options);
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
  await writeFileAtomic(path, png);
  return { width: image.width, height: image.height };
}
