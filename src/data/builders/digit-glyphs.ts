// Digit images from the system's TrueType fonts: each (font, digit) glyph is rendered once through
// sharp's text renderer (Pango) and cropped; samples are then drawn from those masks with a random
// size, rotation and position by bilinear sampling, which costs microseconds instead of a Pango
// render per sample.
import { existsSync } from 'node:fs';
import sharp, { type OutputInfo } from 'sharp';
import type { RawImage } from '../../modalities/image/index.js';
import type { Random } from '../random.js';

const FONT_ROOT = '/usr/share/fonts/truetype';
const FONT_PACKAGES = 'fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf';

/** Font file (under /usr/share/fonts/truetype) and the Pango name of its face. */
export const DIGIT_FONTS: readonly (readonly [string, string])[] = [
  ['dejavu/DejaVuSans.ttf', 'DejaVu Sans'],
  ['dejavu/DejaVuSans-Bold.ttf', 'DejaVu Sans Bold'],
  ['dejavu/DejaVuSans-Oblique.ttf', 'DejaVu Sans Oblique'],
  ['dejavu/DejaVuSans-ExtraLight.ttf', 'DejaVu Sans ExtraLight'],
  ['dejavu/DejaVuSansCondensed-Bold.ttf', 'DejaVu Sans Condensed Bold'],
  ['dejavu/DejaVuSansMono.ttf', 'DejaVu Sans Mono'],
  ['dejavu/DejaVuSansMono-Bold.ttf', 'DejaVu Sans Mono Bold'],
  ['dejavu/DejaVuSerif.ttf', 'DejaVu Serif'],
  ['dejavu/DejaVuSerif-Bold.ttf', 'DejaVu Serif Bold'],
  ['dejavu/DejaVuSerif-Italic.ttf', 'DejaVu Serif Italic'],
  ['dejavu/DejaVuSerifCondensed-BoldItalic.ttf', 'DejaVu Serif Condensed Bold Italic'],
  ['liberation2/LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['liberation2/LiberationSans-Bold.ttf', 'Liberation Sans Bold'],
  ['liberation2/LiberationSans-Italic.ttf', 'Liberation Sans Italic'],
  ['liberation2/LiberationSerif-Regular.ttf', 'Liberation Serif'],
  ['liberation2/LiberationSerif-Bold.ttf', 'Liberation Serif Bold'],
  ['liberation2/LiberationSerif-BoldItalic.ttf', 'Liberation Serif Bold Italic'],
  ['liberation2/LiberationMono-Regular.ttf', 'Liberation Mono'],
  ['liberation2/LiberationMono-Bold.ttf', 'Liberation Mono Bold'],
  ['freefont/FreeSans.ttf', 'FreeSans'],
  ['freefont/FreeSansBold.ttf', 'FreeSans Bold'],
  ['freefont/FreeSansOblique.ttf', 'FreeSans Oblique'],
  ['freefont/FreeSerif.ttf', 'FreeSerif'],
  ['freefont/FreeSerifBold.ttf', 'FreeSerif Bold'],
  ['freefont/FreeSerifItalic.ttf', 'FreeSerif Italic'],
  ['freefont/FreeMono.ttf', 'FreeMono'],
  ['freefont/FreeMonoBold.ttf', 'FreeMono Bold'],
];

export interface Glyph {
  font: string;
  width: number;
  height: number;
  /** Coverage 0..1, row-major. */
  mask: Float32Array;
}

async function renderGlyph(text: string, font: string, file: string): Promise<Glyph> {
  let rendered: { data: Buffer; info: OutputInfo };
  try {
    rendered = await sharp({ text: { text, font, fontfile: file, dpi: 400 } })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new Error(
      `cannot render "${text}" with font ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const { data, info } = rendered;
  let top = info.height;
  let bottom = -1;
  let left = info.width;
  let right = -1;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if ((data[(y * info.width + x) * info.channels] ?? 0) > 0) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) throw new Error(`font ${file} rendered "${text}" as an empty image`);
  const width = right - left + 1;
  const height = bottom - top + 1;
  const mask = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      mask[y * width + x] = (data[((top + y) * info.width + left + x) * info.channels] ?? 0) / 255;
  }
  return { font, width, height, mask };
}

/** Glyphs of the ten digits for every installed font: glyphs[font][digit]. */
export async function loadDigitGlyphs(): Promise<Glyph[][]> {
  const fonts = DIGIT_FONTS.filter(([file]) => existsSync(`${FONT_ROOT}/${file}`));
  if (fonts.length === 0)
    throw new Error(`no fonts found under ${FONT_ROOT}; install them with \`apt-get install -y ${FONT_PACKAGES}\``);
  const glyphs: Glyph[][] = [];
  for (const [file, font] of fonts) {
    glyphs.push(
      await Promise.all(
        Array.from({ length: 10 }, (_, digit) => renderGlyph(String(digit), font, `${FONT_ROOT}/${file}`)),
      ),
    );
  }
  return glyphs;
}

function sampleMask(glyph: Glyph, x: number, y: number): number {
  if (x <= -1 || y <= -1 || x >= glyph.width || y >= glyph.height) return 0;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (px: number, py: number): number =>
    px < 0 || py < 0 || px >= glyph.width || py >= glyph.height ? 0 : (glyph.mask[py * glyph.width + px] ?? 0);
  return (
    (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) +
    (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy
  );
}

export interface DigitPlacement {
  /** Glyph height in output pixels. */
  height: number;
  /** Radians. */
  rotation: number;
  centreX: number;
  centreY: number;
}

/** A random size (40–80% of the image), rotation (±25°) and a position that keeps the digit inside. */
export function drawPlacement(glyph: Glyph, size: number, random: Random): DigitPlacement {
  const height = random.uniform(0.4, 0.8) * size;
  const rotation = random.uniform(-25, 25) * (Math.PI / 180);
  const scale = height / glyph.height;
  const width = glyph.width * scale;
  const cos = Math.abs(Math.cos(rotation));
  const sin = Math.abs(Math.sin(rotation));
  const halfX = Math.min(size / 2, (width * cos + height * sin) / 2);
  const halfY = Math.min(size / 2, (width * sin + height * cos) / 2);
  return {
    height,
    rotation,
    centreX: random.uniform(halfX, size - halfX),
    centreY: random.uniform(halfY, size - halfY),
  };
}

/** A white digit on black, size × size grey. */
export function renderDigit(glyph: Glyph, placement: DigitPlacement, size: number): RawImage {
  const data = new Uint8Array(size * size);
  const scale = glyph.height / placement.height;
  const cos = Math.cos(placement.rotation);
  const sin = Math.sin(placement.rotation);
  // 2×2 supersampling so thin strokes shrunk below a pixel still show
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sum = 0;
      for (const oy of [0.25, 0.75]) {
        for (const ox of [0.25, 0.75]) {
          const dx = x + ox - placement.centreX;
          const dy = y + oy - placement.centreY;
          const gx = (cos * dx + sin * dy) * scale + glyph.width / 2 - 0.5;
          const gy = (-sin * dx + cos * dy) * scale + glyph.height / 2 - 0.5;
          sum += sampleMask(glyph, gx, gy);
        }
      }
      data[y * size + x] = Math.round(Math.min(1, sum / 4) * 255);
    }
  }
  return { data, height: size, width: size, channels: 1 };
}
