// A grid of images with optional captions under each tile, for sample sheets and dataset previews. Captions
// are shown whole (see caption-layout.ts).
import sharp, { type OverlayOptions } from 'sharp';
import { checkSize, encodeImage, formatOfPath, type Kernel } from './codec.js';
import { writeFileAtomic } from '../../data/files.js';
import { convertChannels, resizeImage } from './transform.js';
import { checkImage, colourHex, parseColour, type Colour, type RawImage } from './types.js';
import { CAPTION_FONTS, widestWord, wrapCaption } from './caption-layout.js';

export interface ContactSheetTile {
  image: RawImage;
  caption?: string;
}
export interface ContactSheetOptions {
  /** Tiles per row; default ceil(sqrt(count)). */
  columns?: number;
  /** Every tile is fitted (letterboxed) into [height, width]; default the largest tile. */
  tileSize?: [number, number];
  /** Gap around tiles in pixels; default 4. */
  padding?: number;
  background?: Colour;
  textColour?: Colour;
  fontSize?: number;
  /**
   * Caption lines reserved under each tile at least; captions are always shown whole, so the strip grows to
   * what the longest caption needs (and tiles widen to the widest word). Default 1 when any tile has a caption.
   */
  captionLines?: number;
  /** Resampling kernel; default nearest when enlarging (keeps small samples crisp), lanczos3 when shrinking. */
  kernel?: Kernel;
}
export interface ContactSheetResult {
  path: string;
  width: number;
  height: number;
  rows: number;
  columns: number;
  /** The caption lines drawn under each tile, in tile order. */
  captionLines: string[][];
}

const escapeXml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

// pixels kept clear on each side of a caption line, so neighbouring captions never touch
const CAPTION_MARGIN = 2;

/** Writes a contact sheet (format from the extension) to a temporary name, then renames it into place. */
export async function writeContactSheet(
  path: string,
  tiles: ContactSheetTile[],
  options: ContactSheetOptions = {},
): Promise<ContactSheetResult> {
  if (tiles.length === 0) throw new Error(`cannot write contact sheet ${path}: no tiles given`);
  const format = formatOfPath(path);
  tiles.forEach((tile, index) => checkImage(tile.image, `tile ${index}`));
  const columns = options.columns ?? Math.ceil(Math.sqrt(tiles.length));
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`columns must be a positive integer, got ${columns}`);
  const rows = Math.ceil(tiles.length / columns);
  const [tileHeight, tileWidth] = checkSize(
    options.tileSize ?? [
      Math.max(...tiles.map((tile) => tile.image.height)),
      Math.max(...tiles.map((tile) => tile.image.width)),
    ],
    'tileSize',
  );
  const padding = options.padding ?? 4;
  const fontSize = options.fontSize ?? Math.max(9, Math.min(14, Math.round(tileWidth / 8)));
  const captions = tiles.map((tile) => (tile.caption ?? '').trim());
  const hasCaptions = captions.some((caption) => caption.length > 0);
  // a column is as wide as its tile, or as the widest word when that is wider: no word is ever cut
  const cellWidth = hasCaptions
    ? Math.max(tileWidth, (await widestWord(captions, fontSize)) + 2 * CAPTION_MARGIN)
    : tileWidth;
  const wrapped = await Promise.all(
    captions.map((caption) => wrapCaption(caption, cellWidth - 2 * CAPTION_MARGIN, fontSize)),
  );
  const captionLines = hasCaptions ? Math.max(options.captionLines ?? 1, ...wrapped.map((lines) => lines.length)) : 0;
  const lineHeight = Math.ceil(fontSize * 1.25);
  const captionHeight = captionLines > 0 ? captionLines * lineHeight + 2 : 0;
  const background = parseColour(options.background ?? '#ffffff', 'background');
  const textColour = parseColour(options.textColour ?? '#000000', 'textColour');
  const cellHeight = tileHeight + captionHeight;
  const width = columns * cellWidth + (columns + 1) * padding;
  const height = rows * cellHeight + (rows + 1) * padding;

  const layers: OverlayOptions[] = [];
  const texts: string[] = [];
  for (const [index, tile] of tiles.entries()) {
    const cellLeft = padding + (index % columns) * (cellWidth + padding);
    const left = cellLeft + Math.floor((cellWidth - tileWidth) / 2);
    const top = padding + Math.floor(index / columns) * (cellHeight + padding);
    const enlarging = tile.image.height < tileHeight && tile.image.width < tileWidth;
    const fitted = await resizeImage(tile.image, [tileHeight, tileWidth], {
      fit: 'contain',
      background,
      kernel: options.kernel ?? (enlarging ? 'nearest' : 'lanczos3'),
    });
    const rgba = convertChannels(fitted, 4);
    layers.push({
      input: Buffer.from(rgba.data.buffer, rgba.data.byteOffset, rgba.data.length),
      raw: { width: rgba.width, height: rgba.height, channels: 4 },
      left,
      top,
    });
    (wrapped[index] ?? []).forEach((line, lineIndex) => {
      const x = cellLeft + cellWidth / 2;
      const y = top + tileHeight + (lineIndex + 1) * lineHeight - Math.round(lineHeight - fontSize);
      texts.push(`<text x="${x}" y="${y}">${escapeXml(line)}</text>`);
    });
  }
  if (texts.length > 0) {
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<g font-family="${CAPTION_FONTS}" font-size="${fontSize}" fill="${colourHex(textColour)}" text-anchor="middle">` +
      `${texts.join('')}</g></svg>`;
    layers.push({ input: Buffer.from(svg), left: 0, top: 0 });
  }
  const { data } = await sharp({ create: { width, height, channels: 3, background } })
    .composite(layers)
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const sheet: RawImage = {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    height,
    width,
    channels: 3,
  };
  await writeFileAtomic(path, await encodeImage(sheet, format));
  return { path, width, height, rows, columns, captionLines: wrapped };
}
