// The colour-moments term of joint-diffusion's first stage (training.autoencoder.colourMoments): the picture
// latent also predicts its picture's size-free colour moments (modalities/image/colour-moments.ts) through a
// small head. A small shape's tilt moves a few pixels, so squared error leaves it out of the latent and the
// decoder draws the round mean of every tilt; its moments move as much as a big shape's, so the term asks the
// latent for the tilt whatever the shape's size, and a decoder can lower its error by drawing a tilt it is given.
import { Linear, Module } from '../../nn/index.js';
import { COLOUR_MOMENTS, colourMoments } from '../../modalities/image/colour-moments.js';
import { type Tensor, tidy } from '../../tensor/index.js';

/**
 * Latent → colour moments through one hidden layer: a tilt the latent holds is a turn of a few of its
 * dimensions, not a linear function of them (a linear head did not learn them at level 5: RESULTS.md).
 */
export class MomentsHead extends Module {
  private readonly hidden: Linear;
  private readonly output: Linear;

  constructor(latentDim: number, width = 256) {
    super();
    this.hidden = this.registerModule('hidden', new Linear(latentDim, width));
    this.output = this.registerModule('output', new Linear(width, COLOUR_MOMENTS));
  }

  forward(latent: Tensor): Tensor {
    return this.output.forward(this.hidden.forward(latent).relu());
  }
}

/**
 * Mean over rows with a picture of Σ_moments ((head(latent) − moment) / its spread in the batch)²: each moment
 * counts alike, whatever its scale (a heart's one-fold moments vary ten times less than a square's).
 */
export function colourMomentsLoss(
  head: MomentsHead,
  latent: Tensor,
  pictures: Tensor,
  presence: Tensor,
  saturation = 0,
): Tensor {
  return tidy(() => {
    const targets = colourMoments(pictures, saturation);
    const spread = targets.std(0, true).add(1e-3).detach();
    const perRow = head.forward(latent).sub(targets).div(spread).square().sum(1);
    return perRow.mul(presence).sum().div(presence.sum().clamp(1));
  });
}
