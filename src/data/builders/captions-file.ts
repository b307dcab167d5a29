// Reads a user's captions file: captions.csv (header row; columns file, caption, optional split, or
// image/audio instead of file for paired data) or captions.jsonl (one object per line, same fields).
// The CSV reader is written by hand (RFC 4180: quoted fields, doubled quotes, CRLF) because it is
// ~40 lines and no CSV package is a dependency of mmgen.
import { readFile } from 'node:fs/promises';
import { SPLITS, type Split } from '../format.js';

export interface CaptionRow {
  /** 1-based line (CSV/JSONL) for error messages. */
  line: number;
  caption: string;
  image?: string;
  audio?: string;
  split?: Split;
}

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff'];
const AUDIO_EXTENSIONS = ['.wav'];

export function parseCsv(text: string, source: string): { rows: string[][]; lines: number[] } {
  const rows: string[][] = [];
  const lines: number[] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else {
        if (char === '\n') line++;
        field += char;
      }
    } else if (char === '"' && field.length === 0) quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((value) => value.trim().length > 0)) {
        rows.push(row);
        lines.push(rowLine);
      }
      row = [];
      field = '';
      line++;
      rowLine = line;
    } else field += char;
  }
  if (quoted) throw new Error(`${source}: a quoted field starting on line ${rowLine} is never closed`);
  row.push(field);
  if (row.some((value) => value.trim().length > 0)) {
    rows.push(row);
    lines.push(rowLine);
  }
  return { rows, lines };
}

function toRow(fields: Record<string, unknown>, line: number, source: string): CaptionRow {
  const text = (key: string): string | undefined => {
    const value = fields[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new Error(`${source} line ${line}: "${key}" must be a string`);
    return value.trim();
  };
  const caption = text('caption');
  if (caption === undefined) throw new Error(`${source} line ${line}: the caption is empty`);
  const split = text('split');
  if (split !== undefined && !(SPLITS as readonly string[]).includes(split)) {
    throw new Error(`${source} line ${line}: split "${split}" is not one of ${SPLITS.join(', ')}`);
  }
  const row: CaptionRow = { line, caption, ...(split ? { split: split as Split } : {}) };
  const file = text('file');
  const image = text('image');
  const audio = text('audio');
  if (file !== undefined) {
    const lower = file.toLowerCase();
    if (IMAGE_EXTENSIONS.some((extension) => lower.endsWith(extension))) row.image = file;
    else if (AUDIO_EXTENSIONS.some((extension) => lower.endsWith(extension))) row.audio = file;
    else
      throw new Error(
        `${source} line ${line}: cannot tell whether ${file} is an image or audio; use ${[...IMAGE_EXTENSIONS, ...AUDIO_EXTENSIONS].join(', ')}`,
      );
  }
  if (image !== undefined) row.image = image;
  if (audio !== undefined) row.audio = audio;
  if (row.image === undefined && row.audio === undefined)
    throw new Error(`${source} line ${line}: no file (give a "file" column, or "image"/"audio")`);
  return row;
}

export async function readCaptionsFile(path: string): Promise<CaptionRow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read captions file ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (path.endsWith('.jsonl')) {
    return text.split('\n').flatMap((lineText, index) => {
      if (lineText.trim() === '') return [];
      let value: unknown;
      try {
        value = JSON.parse(lineText);
      } catch (error) {
        throw new Error(`${path} line ${index + 1} is not valid JSON: ${(error as Error).message}`, { cause: error });
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new Error(`${path} line ${index + 1} must be an object like {"file": "a.png", "caption": "…"}`);
      return [toRow(value as Record<string, unknown>, index + 1, path)];
    });
  }
  const { rows, lines } = parseCsv(text.replace(/^\uFEFF/, ''), path);
  const header = (rows[0] ?? []).map((name) => name.trim().toLowerCase());
  if (
    !header.includes('caption') ||
    !(header.includes('file') || header.includes('image') || header.includes('audio'))
  ) {
    throw new Error(
      `${path} needs a header row with the columns file,caption (optionally split; or image/audio instead of file), got "${header.join(',')}"`,
    );
  }
  return rows.slice(1).map((values, index) => {
    const line = lines[index + 1] ?? 0;
    if (values.length > header.length)
      throw new Error(
        `${path} line ${line}: ${values.length} fields but the header has ${header.length} (quote captions that contain commas)`,
      );
    return toRow(Object.fromEntries(header.map((name, column) => [name, values[column] ?? ''])), line, path);
  });
}
