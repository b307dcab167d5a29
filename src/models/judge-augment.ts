// Label-preserving augmentation for judge training. Class datasets (clothes, digits) keep their
// label under small shifts (and clothes under mirroring); shapes judges position, so nothing moves.
import { type Tensor, cat, tensor, tidy, where } from '../tensor/index.js';
import type { Random } from '../data/random.js';

export interface Augmentation {
  /** Mirror left-right with probability 1/2. */
  flip: boolean;
  /** Shift by up to this many pixels in x and y (edges replicated). */
  shift: number;
}

export const NO_AUGMENTATION: Augmentation = { flip: false, shift: 0 };

export function judgeAugmentation(builder: string): Augmentation {
  if (builder === 'fashion-mnist') return { flip: true, shift: 2 };
  if (builder === 'digits') return { flip: false, shift: 2 };
  return NO_AUGMENTATION;
}

/** Augments a batch [N, C, H, W]; draws from `random`, so a seeded stream gives the same batches. */
export function augmentBatch(images: Tensor, augmentation: Augmentation, random: Random): Tensor {
  if (!augmentation.flip && augmentation.shift === 0) return images;
  const [count, , height, width] = images.shape as [number, number, number, number];
  return tidy(() => {
    let x = images;
    if (augmentation.flip) {
      const mirrored = tensor(
        Array.from({ length: count }, () => (random.next() < 0.5 ? 1 : 0)),
        { shape: [count, 1, 1, 1], dtype: 'bool' },
      );
      x = where(mirrored, x.flip(3), x);
    }
    const shift = augmentation.shift;
    if (shift > 0) {
      const padded = x.pad([shift, shift, shift, shift], 'replicate');
      const rows: Tensor[] = [];
      for (let i = 0; i < count; i++) {
        const dx = random.int(2 * shift + 1);
        const dy = random.int(2 * shift + 1);
        rows.push(padded.narrow(0, i, 1).narrow(2, dy, height).narrow(3, dx, width));
      }
      x = cat(rows, 0);
    }
    return x;
  });
}
