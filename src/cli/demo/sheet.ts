// The demo's one picture: a row per task, each opening with a label tile (the task and its score) followed
// by that task's examples, every tile captioned with what went in and what came out.
import { type ContactSheetTile, type RawImage, writeContactSheet } from '../../modalities/image/index.js';

export interface DemoSection {
  /** e.g. "text → image" */
  title: string;
  /** e.g. "Strict 92 % (50 prompts)" */
  score: string;
  tiles: ContactSheetTile[];
}

const TILE = 96;

/** A plain tile that carries a caption only. */
function labelTile(): RawImage {
  const data = new Uint8Array(TILE * TILE * 3).fill(32);
  return { data, width: TILE, height: TILE, channels: 3 };
}

/** Writes the sections as one contact sheet; rows are padded so each section starts a new row. */
export async function writeDemoSheet(path: string, sections: readonly DemoSection[], perRow: number): Promise<string> {
  const tiles: ContactSheetTile[] = [];
  for (const section of sections) {
    tiles.push({ image: labelTile(), caption: `${section.title}: ${section.score}` });
    const shown = section.tiles.slice(0, perRow);
    tiles.push(...shown);
    for (let missing = shown.length; missing < perRow; missing++) tiles.push({ image: labelTile(), caption: '' });
  }
  await writeContactSheet(path, tiles, { columns: perRow + 1, tileSize: [TILE, TILE], captionLines: 3 });
  return path;
}
