// The up/down-sampling networks work on power-of-two sizes (4×4 doubled or halved at each step). Images of
// other sizes (Fashion-MNIST's 28×28, a user's 48×48 folder) are padded up to the next power of two on the
// way in and centre-cropped back on the way out, as DCGAN ports pad MNIST to 32×32.
import type { Tensor } from '../../tensor/index.js';

/** The power-of-two size (≥ 8) a network for `size`-pixel images works at. */
export function workingSize(size: number): number {
  if (!Number.isInteger(size) || size < 1) throw new Error(`image size must be a positive integer, got ${size}`);
  return Math.max(8, 2 ** Math.ceil(Math.log2(size)));
}

/** Number of 2× steps between 4×4 and the working size. */
export function resolutionSteps(size: number): number {
  return Math.log2(workingSize(size) / 4);
}

function margins(size: number, target: number): [number, number] {
  const total = target - size;
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** [B, C, S, S] → [B, C, W, W] with edge pixels repeated (a no-op view when S is already W). */
export function padToWorkingSize(images: Tensor): Tensor {
  const size = images.shape[2] ?? 0;
  const target = workingSize(size);
  if (target === size) return images;
  const [before, after] = margins(size, target);
  return images.pad([before, after, before, after], 'replicate');
}

/** [B, C, W, W] → the centre [B, C, S, S]. */
export function cropToSize(images: Tensor, size: number): Tensor {
  const working = images.shape[2] ?? 0;
  if (working === size) return images;
  const [before] = margins(size, working);
  return images.narrow(2, before, size).narrow(3, before, size);
}
