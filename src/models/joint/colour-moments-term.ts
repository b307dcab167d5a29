// The colour-moments term of joint-diffusion's first stage (training.autoencoder.colourMoments): the picture
// latent also predicts its picture's size-free colour moments (modalities/image/colour-moments.ts) through a
// linear head. A small shape's tilt moves a few pixels, so squared error leaves it out of the latent and the
// decoder draws the round mean of every tilt; its moments move as much as a big shape's, so with this term the
// latent keeps the tilt, and the decoder, which can then lower its error by drawing it, learns to.
import type { Linear } from '../../nn/index.js';
import { COLOUR_MOMENTS, colourMoments } from '../../modalities/image/colour-moments.js';
import { type Tensor, tidy } from '../../tensor/index.js';

export { COLOUR_MOMENTS };

/**
 * Mean over rows with a picture of Σ_moments ((head(latent) − moment) / its spread in the batch)²: each moment
 * counts alike, whatever its scale (a heart's one-fold moments vary ten times less than a square's).
 */
export function colourMomentsLoss(head: Linear, latent: Tensor, pictures: Tensor, presence: Tensor): Tensor {
  return tidy(() => {
    const targets = colourMoments(pictures);
    const spread = targets.std(0, true).add(1e-3).detach();
    const perRow = head.forward(latent).sub(targets).div(spread).square().sum(1);
    return perRow.mul(presence).sum().div(presence.sum().clamp(1));
  });
}
