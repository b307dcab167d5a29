// Features of a whole loaded split's images, batch by batch, in a caller's feature space (a judge's, a
// captioner's retrieval keys): shared by evaluation and by training sessions that index their data.
import { type Tensor, cat, dispose, noGrad, tidy } from '../tensor/index.js';
import type { LoadedSplit } from './loader.js';

export interface FeatureSpace {
  /** What the features are, for the report (e.g. "judge features (shapes-l5/judge)"). */
  name: string;
  /** Features [N, F] of images [N, C, H, W] in [-1, 1]. */
  features(images: Tensor): Tensor;
}

/** Float images of rows [start, start + count) of a uint8 split. */
export function floatBatch(split: LoadedSplit, start: number, count: number): Tensor {
  const images = split.images;
  if (!images) throw new Error(`${split.dataset.dir}: the ${split.split} split has no images`);
  return tidy(() => images.narrow(0, start, count).float().div(127.5).sub(1));
}

/** Throws the abort reason once `signal` has fired. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('evaluation was cancelled');
}

/** Features of a whole split's images, batch by batch (float images in [-1, 1], no gradients). */
export function splitFeatures(
  split: LoadedSplit,
  space: FeatureSpace,
  batchSize: number,
  signal?: AbortSignal,
): Tensor {
  const parts: Tensor[] = [];
  try {
    for (let start = 0; start < split.size; start += batchSize) {
      checkAborted(signal);
      const images = floatBatch(split, start, Math.min(batchSize, split.size - start));
      try {
        parts.push(noGrad(() => space.features(images)));
      } finally {
        images.dispose();
      }
    }
    return cat(parts, 0);
  } finally {
    dispose(parts);
  }
}
