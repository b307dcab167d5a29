// What the moment scripts share (encoder-moments.ts, moments-read.ts): which colour moment tells which shape's
// geometry, and the R² of a moment read against the true one over some rows.
import { COLOUR_MOMENTS } from '../src/modalities/image/colour-moments.js';

/** (moment, its first column in colourMoments' rows, the shape whose tilt or point it holds). */
export const SHAPE_MOMENTS: readonly [string, number, string][] = [
  ['c_20', 0, 'ellipse'],
  ['c_40', 8, 'square'],
  ['c_30', 4, 'heart'],
  ['c_21', 2, 'heart'],
];

/**
 * R² of a moment's two parts (real, imaginary) read against the true ones over `rows`; `read` and `wanted` are
 * rows of COLOUR_MOMENTS values, flat.
 */
export function momentRSquared(
  read: ArrayLike<number>,
  wanted: ArrayLike<number>,
  rows: readonly number[],
  column: number,
): number {
  let [residual, total] = [0, 0];
  for (const part of [column, column + 1]) {
    const at = (row: number): number => row * COLOUR_MOMENTS + part;
    const mean = rows.reduce((sum, row) => sum + (wanted[at(row)] ?? 0), 0) / rows.length;
    for (const row of rows) {
      const target = wanted[at(row)] ?? 0;
      residual += ((read[at(row)] ?? 0) - target) ** 2;
      total += (target - mean) ** 2;
    }
  }
  return 1 - residual / total;
}
