// Every sheet mmgen writes shows its captions whole: the longest caption the shapes builder can write at
// level 5 is wrapped onto as many lines as it needs (never cut with an ellipsis), each line fits its
// column, and no text is drawn outside the column (where it would run into the neighbour's caption).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { attributeCombinations, levelAttributes, shapeCaption } from '../../src/data/builders/shapes.js';
import { textWidth, wrapCaption, writeContactSheet, type RawImage } from '../../src/modalities/image/index.js';
import { inScratchFolder } from './helpers.js';

const grey = (size: number): RawImage => ({
  data: new Uint8Array(size * size * 3).fill(128),
  height: size,
  width: size,
  channels: 3,
});

/** The level-5 caption that is widest when drawn (the longest in characters is not always the widest). */
async function widestLevel5Caption(fontSize: number): Promise<string> {
  const captions = [...new Set(attributeCombinations(levelAttributes(5)).map(shapeCaption))];
  let widest = '';
  let widestWidth = 0;
  for (const caption of captions) {
    const width = await textWidth(caption, fontSize);
    if (width > widestWidth) [widest, widestWidth] = [caption, width];
  }
  return widest;
}

test('wrapCaption keeps every word, in order, and never adds an ellipsis', async () => {
  const caption = 'big blue heart at top left on dark';
  for (const maxWidth of [10, 40, 60, 1000]) {
    const lines = await wrapCaption(caption, maxWidth, 10);
    assert.equal(lines.join(' '), caption, `at ${maxWidth} px`);
    assert.ok(lines.every((line) => !line.includes('…')));
  }
  assert.deepEqual(await wrapCaption(caption, 1000, 10), [caption]);
  assert.equal((await wrapCaption(caption, 10, 10)).length, 8, 'a column narrower than any word holds one word a line');
});

test('the widest level-5 shapes caption is drawn whole on every sheet size mmgen uses', async () => {
  await inScratchFolder(async (folder) => {
    // 96 px: training samples, eval grids, data show; 128 px: audio and joint sheets; 48 px: narrower than a word
    for (const tile of [48, 96, 128]) {
      const fontSize = Math.max(9, Math.min(14, Math.round(tile / 8)));
      const caption = await widestLevel5Caption(fontSize);
      assert.match(caption, /^(small|big) \w+ \w+ at (top|bottom) (left|right) on (light|dark)$/);
      const padding = 4;
      const path = join(folder, `sheet-${tile}.png`);
      const result = await writeContactSheet(
        path,
        [
          { image: grey(tile), caption },
          { image: grey(tile), caption },
        ],
        { columns: 2, tileSize: [tile, tile], padding },
      );
      for (const lines of result.captionLines) {
        assert.equal(lines.join(' '), caption, `${tile} px: every word drawn, in order`);
        assert.ok(
          lines.every((line) => !line.includes('…')),
          `${tile} px: no ellipsis in ${JSON.stringify(lines)}`,
        );
      }
      // the text's ink stays inside each column: the gap between the columns and the sheet's edges hold none
      const cellWidth = (result.width - 3 * padding) / 2;
      assert.ok(cellWidth >= tile);
      const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
      const captionTop = padding + tile;
      const inkColumns = new Set<number>();
      let inkRows = 0;
      for (let y = captionTop; y < info.height; y++) {
        let rowHasInk = false;
        for (let x = 0; x < info.width; x++) {
          if ((data[(y * info.width + x) * 3] ?? 255) < 160) {
            inkColumns.add(x);
            rowHasInk = true;
          }
        }
        if (rowHasInk) inkRows++;
      }
      const outside = [...inkColumns].filter(
        (x) => x < padding || (x >= padding + cellWidth && x < 2 * padding + cellWidth) || x >= result.width - padding,
      );
      assert.deepEqual(outside, [], `${tile} px: caption ink outside its column`);
      const lineCount = result.captionLines[0]?.length ?? 0;
      assert.ok(
        inkRows >= lineCount * fontSize * 0.5,
        `${tile} px: ${lineCount} lines drawn (${inkRows} rows with ink)`,
      );
    }
  });
});
