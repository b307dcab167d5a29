// The geometry of a picture's coloured part as a few numbers: each pixel weighs by the size of its colour part
// (its value less its mean over the channels, so a grey background weighs nothing); about that mass's centre,
// with z = u + iv a pixel's place, the complex moments c_pq = Σ w z^p z̄^q of orders 2–4 with p ≠ q, each
// divided by c_11^((p+q)/2) so they do not depend on the object's size. A k-fold symmetric shape turned by θ
// turns c_pq by (p − q)θ: c_20 holds an ellipse's tilt, c_40 and c_31 a square's, c_21 and c_30 a heart's.
// Squared error counts a small object's outline by its few pixels; these count it as much as a big one's.
// With a saturation s, a pixel weighs min(colour part / s, 1): the coloured shape as a mask, so a texture
// inside it does not move the moments (a textured heart's c_21, its one-fold tilt, is mostly that texture).
import { type Tensor, noGrad, stack, tidy } from '../../tensor/index.js';
import { pixelPlaces } from './tensor.js';

/** The (p, q) of the moments kept, in output order (each as its real and imaginary part). */
export const MOMENT_ORDERS = [
  [2, 0],
  [2, 1],
  [3, 0],
  [3, 1],
  [4, 0],
] as const;

/** Width of `colourMoments`' rows. */
export const COLOUR_MOMENTS = 2 * MOMENT_ORDERS.length;

/**
 * Pictures [B, C ≥ 3, H, W] → their colour part's size-free moments [B, COLOUR_MOMENTS] (no gradient); with
 * `saturation` > 0 each pixel's weight stops growing at that colour part (pixel values in [-1, 1]).
 */
export function colourMoments(pictures: Tensor, saturation = 0): Tensor {
  const [, channels = 0, height = 1, width = 1] = pictures.shape;
  if (channels < 3) throw new Error(`colourMoments weighs colour: pictures need 3 channels, these have ${channels}`);
  return noGrad(() =>
    tidy(() => {
      const colour = pictures.sub(pictures.mean(1, true));
      const part = colour.square().sum(1).sqrt();
      const mass = (saturation > 0 ? part.div(saturation).clamp(0, 1) : part).add(1e-6);
      const weights = mass.div(mass.sum([1, 2], true));
      const places = pixelPlaces(height, width);
      const [columns, rows] = [places.select(1, 0), places.select(1, 1)];
      const u = columns.sub(weights.mul(columns).sum([1, 2], true));
      const v = rows.sub(weights.mul(rows).sum([1, 2], true));
      const radius2 = u.square().add(v.square());
      const spread = weights.mul(radius2).sum([1, 2]).clamp(1e-8);
      // z^p z̄^q = |z|^(2q) z^(p−q): the powers of z by repeated complex products
      const powers: [Tensor, Tensor][] = [[u.mul(0).add(1), u.mul(0)]];
      for (let k = 1; k <= 4; k++) {
        const [re, im] = powers[k - 1] as [Tensor, Tensor];
        powers.push([re.mul(u).sub(im.mul(v)), re.mul(v).add(im.mul(u))]);
      }
      const parts = MOMENT_ORDERS.flatMap(([p, q]) => {
        const [re, im] = powers[p - q] as [Tensor, Tensor];
        const scale = spread.pow((p + q) / 2);
        const around = q === 0 ? weights : weights.mul(radius2.pow(q));
        return [around.mul(re).sum([1, 2]).div(scale), around.mul(im).sum([1, 2]).div(scale)];
      });
      return stack(parts, 1);
    }),
  );
}
