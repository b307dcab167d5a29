// Captions under contact-sheet tiles, laid out whole: a person opens a sheet to check each picture against
// its prompt, so a caption is never cut. Widths are measured with the font the sheet draws with (pango,
// through sharp), not guessed from a character count.
import sharp from 'sharp';

/** The fonts the sheet's SVG text asks for, first found wins (the same list for measuring). */
export const CAPTION_FONTS = 'DejaVu Sans, Liberation Sans, FreeSans, sans-serif';

// pango's measure at 72 dpi differs from librsvg's drawing of the same text by up to ~6 % (hinting at small
// sizes), so widths carry that margin: a line measured to fit is drawn inside its tile
const MEASURE_MARGIN = 1.08;

const widths = new Map<string, number>();

/** Width in pixels of one line of text at fontSize, as drawn on a sheet (with a safety margin). */
export async function textWidth(text: string, fontSize: number): Promise<number> {
  if (text.length === 0) return 0;
  const key = `${fontSize}\u0000${text}`;
  const cached = widths.get(key);
  if (cached !== undefined) return cached;
  let width: number;
  try {
    const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const { info } = await sharp({ text: { text: escaped, font: `${CAPTION_FONTS} ${fontSize}`, dpi: 72 } })
      .raw()
      .toBuffer({ resolveWithObject: true });
    width = Math.ceil(info.width * MEASURE_MARGIN) + 1;
  } catch {
    // a libvips without text rendering: DejaVu Sans's widest lowercase letters are ~0.9 em, its average ~0.6 em
    width = Math.ceil(text.length * fontSize * 0.66) + 1;
  }
  if (widths.size > 20_000) widths.clear();
  widths.set(key, width);
  return width;
}

/**
 * Greedy word wrap into lines no wider than maxWidth pixels. Every word is kept whole: a word wider than
 * maxWidth gets a line of its own (the sheet makes its tiles wide enough for the widest word).
 */
export async function wrapCaption(caption: string, maxWidth: number, fontSize: number): Promise<string[]> {
  const words = caption
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    const candidate = current.length === 0 ? word : `${current} ${word}`;
    if (current.length === 0 || (await textWidth(candidate, fontSize)) <= maxWidth) current = candidate;
    else {
      lines.push(current);
      current = word;
    }
  }
  if (current.length > 0) lines.push(current);
  return lines;
}

/** The widest single word of the captions, in pixels at fontSize. */
export async function widestWord(captions: readonly string[], fontSize: number): Promise<number> {
  const words = new Set(
    captions.flatMap((caption) =>
      caption
        .trim()
        .split(/\s+/)
        .filter((word) => word.length > 0),
    ),
  );
  let widest = 0;
  for (const word of words) widest = Math.max(widest, await textWidth(word, fontSize));
  return widest;
}
