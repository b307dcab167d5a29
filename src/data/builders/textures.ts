// Greyscale textures for the shapes dataset: GIMP's pattern files from Debian's gimp-data, or
// seeded value noise. A texture is a tileable [height, width] map of values in [0, 1].
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Random } from '../random.js';

export interface Texture {
  name: string;
  width: number;
  height: number;
  values: Float32Array;
}

export const GIMP_PATTERN_DIR = '/usr/share/gimp/2.0/patterns';

/** Natural-looking patterns (no logos, stripes or coloured cubes from Legacy/). */
export const GIMP_PATTERNS = [
  'Animal/leather',
  'Fabric/burlap',
  'Food/java',
  'Paper/crinklepaper',
  'Paper/paper',
  'Stone/Craters',
  'Stone/granite1',
  'Stone/ground1',
  'Stone/marble1',
  'Stone/marble2',
  'Stone/cracked',
  'Stone/rock',
  'Stone/slate',
  'Stone/stone33',
  'Stone/terra',
  'Water/ice',
  'Water/rain',
  'Wood/bark',
  'Wood/burlwood',
  'Wood/walnut',
  'Wood/wood1',
  'Wood/wood5',
] as const;

/** Parses a GIMP .pat file (header: size, version, width, height, bytes per pixel, "GPAT", name). */
export function parseGimpPattern(bytes: Buffer, path: string): Texture {
  if (bytes.length < 24 || bytes.toString('latin1', 20, 24) !== 'GPAT')
    throw new Error(`${path} is not a GIMP pattern (no GPAT header)`);
  const headerSize = bytes.readUInt32BE(0);
  const width = bytes.readUInt32BE(8);
  const height = bytes.readUInt32BE(12);
  const depth = bytes.readUInt32BE(16);
  if (depth < 1 || depth > 4 || bytes.length < headerSize + width * height * depth)
    throw new Error(`${path} is a truncated or unsupported GIMP pattern`);
  const name = bytes.toString('utf8', 24, headerSize).replace(/\0+$/, '');
  const grey = new Float32Array(width * height);
  for (let p = 0; p < width * height; p++) {
    const offset = headerSize + p * depth;
    grey[p] =
      depth >= 3
        ? 0.299 * (bytes[offset] ?? 0) + 0.587 * (bytes[offset + 1] ?? 0) + 0.114 * (bytes[offset + 2] ?? 0)
        : (bytes[offset] ?? 0);
  }
  return { name, width, height, values: stretchContrast(grey) };
}

/** Maps the 2nd..98th percentiles to 0..1 so every texture has similar contrast. */
function stretchContrast(values: Float32Array): Float32Array {
  const sorted = Float32Array.from(values).sort();
  const low = sorted[Math.floor(sorted.length * 0.02)] ?? 0;
  const high = sorted[Math.floor(sorted.length * 0.98)] ?? 255;
  const range = Math.max(1, high - low);
  return values.map((value) => Math.min(1, Math.max(0, (value - low) / range)));
}

export function loadGimpTextures(dir = GIMP_PATTERN_DIR): Texture[] {
  if (!existsSync(dir)) {
    throw new Error(
      `GIMP's patterns are missing (${dir}); install them with \`apt-get install -y gimp-data\`, or pass --textures noise`,
    );
  }
  const textures: Texture[] = [];
  for (const name of GIMP_PATTERNS) {
    const path = join(dir, `${name}.pat`);
    if (existsSync(path)) textures.push(parseGimpPattern(readFileSync(path), path));
  }
  if (textures.length < 4)
    throw new Error(
      `only ${textures.length} of GIMP's patterns were found in ${dir}; reinstall them with \`apt-get install --reinstall -y gimp-data\`, or pass --textures noise`,
    );
  return textures;
}

/** Tileable value noise: a few octaves of smoothly interpolated random lattices. */
export function noiseTexture(random: Random, size = 64, name = 'noise'): Texture {
  const values = new Float32Array(size * size);
  let amplitude = 1;
  let total = 0;
  for (const cells of [4, 8, 16, 32]) {
    const lattice = Float32Array.from({ length: cells * cells }, () => random.next());
    const at = (x: number, y: number): number => lattice[((y + cells) % cells) * cells + ((x + cells) % cells)] ?? 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const gx = (x / size) * cells;
        const gy = (y / size) * cells;
        const x0 = Math.floor(gx);
        const y0 = Math.floor(gy);
        const tx = smooth(gx - x0);
        const ty = smooth(gy - y0);
        const top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx;
        const bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx;
        values[y * size + x] = (values[y * size + x] ?? 0) + amplitude * (top * (1 - ty) + bottom * ty);
      }
    }
    total += amplitude;
    amplitude *= 0.55;
  }
  return { name, width: size, height: size, values: stretchContrast(values.map((value) => (value / total) * 255)) };
}

const smooth = (t: number): number => t * t * (3 - 2 * t);

export function noiseTextures(random: Random, count = 16): Texture[] {
  return Array.from({ length: count }, (_, index) => noiseTexture(random.fork('texture', index), 64, `noise-${index}`));
}

/** The texture value at a pixel, tiled, with an offset. */
export function sampleTexture(texture: Texture, x: number, y: number): number {
  const tx = ((x % texture.width) + texture.width) % texture.width;
  const ty = ((y % texture.height) + texture.height) % texture.height;
  return texture.values[ty * texture.width + tx] ?? 0;
}
