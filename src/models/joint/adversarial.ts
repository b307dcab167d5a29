// The picture autoencoder's adversarial term (the latent-diffusion autoencoders', Esser et al. 2021): a patch
// critic learns to tell real pictures from decoded ones (hinge loss), and the decoder is pushed towards what
// it calls real. Squared error alone draws the mean of what a latent could be, so a small square comes out
// with round corners; the critic calls round corners fake. The term is balanced against the reconstruction
// adaptively, at the decoded pixels: weight · ‖∂reconstruction/∂x̂‖ / ‖∂adversarial/∂x̂‖ (Esser et al. measure
// it at the decoder's last layer; at the pixels it costs one critic pass, not a second decoder backward).
import { PatchDiscriminator } from '../../modalities/image/patch-discriminator.js';
import { Adam } from '../../optim/index.js';
import { type Tensor, noGrad, tidy } from '../../tensor/index.js';
import type { JointDiffusionConfig } from './diffusion-config.js';

/** `training.autoencoder.adversarial`. */
export type AdversarialConfig = JointDiffusionConfig['training']['autoencoder']['adversarial'];

/** Mean over each row's patch logits [B, 1, h, w] → [B]. */
function rowMeans(logits: Tensor): Tensor {
  return logits.flatten(1).mean(1);
}

/** Pictures as the critic sees them: with `sees: colour`, each pixel less its mean over the channels. */
function seen(pictures: Tensor, sees: AdversarialConfig['sees']): Tensor {
  return sees === 'colour' ? pictures.sub(pictures.mean(1, true)) : pictures;
}

/** The mean of per-row values [B] over the rows present. */
function presentMean(values: Tensor, presence: Tensor): Tensor {
  return values.mul(presence).sum().div(presence.sum().clamp(1));
}

export interface GeneratorGradient {
  /** The gradient at the decoded pixels: the reconstruction's plus the balanced adversarial term's. */
  gradient: Tensor;
  /** The adversarial loss (−the critic's mean logit on decoded pictures). */
  adversarial: number;
  /** The adaptive balance ‖∂rec/∂x̂‖ / ‖∂adv/∂x̂‖, before the weight. */
  balance: number;
}

export class PictureAdversary {
  readonly discriminator: PatchDiscriminator;
  readonly optimizer: Adam;

  constructor(
    readonly settings: AdversarialConfig,
    channels: number,
  ) {
    if (settings.sees === 'colour' && channels < 3)
      throw new Error(
        `training.autoencoder.adversarial.sees: colour needs colour pictures, and these have ${channels} channel: use sees: all`,
      );
    this.discriminator = new PatchDiscriminator({
      channels,
      baseChannels: settings.channels,
      halvings: settings.halvings,
    });
    // β1 = 0.5, as GAN critics train (and the latent-diffusion autoencoders' critic)
    this.optimizer = new Adam(this.discriminator.parameters(), { lr: settings.lr, betas: [0.5, 0.9] });
  }

  /** Whether the critic trains at first-stage step `step` (1-based). */
  activeAt(step: number): boolean {
    return this.settings.weight > 0 && step > this.settings.start;
  }

  /**
   * The decoder's gradient at decoded pictures [B, C, H, W] (their values; no graph needed) given the
   * reconstruction's gradient there. Leaves the critic's parameter gradients dirty: `criticStep` clears them.
   */
  generatorGradient(decoded: Tensor, reconstructionGradient: Tensor, presence: Tensor): GeneratorGradient {
    this.discriminator.train();
    return tidy(() => {
      const pixels = decoded.detach().requiresGrad_();
      const critique = this.discriminator.forward(seen(pixels, this.settings.sees));
      const adversarial = presentMean(rowMeans(critique), presence).neg();
      adversarial.backward();
      const adversarialGradient = pixels.grad as Tensor;
      const balance = noGrad(() =>
        reconstructionGradient.norm().div(adversarialGradient.norm().add(1e-8)).clamp(0, 1e4).item(),
      );
      const gradient = reconstructionGradient.add(adversarialGradient.mul(balance * this.settings.weight));
      return { gradient, adversarial: adversarial.item(), balance };
    });
  }

  /** One critic step: hinge loss on real against decoded pictures (rows present only); returns the loss. */
  criticStep(real: Tensor, decoded: Tensor, presence: Tensor): number {
    this.discriminator.train();
    return tidy(() => {
      const fake = seen(decoded.detach(), this.settings.sees);
      const realLoss = rowMeans(this.discriminator.forward(seen(real, this.settings.sees)).neg().add(1).relu());
      const fakeLoss = rowMeans(this.discriminator.forward(fake).add(1).relu());
      const loss = presentMean(realLoss.add(fakeLoss), presence);
      this.optimizer.zeroGrad();
      loss.backward();
      this.optimizer.step();
      return loss.item();
    });
  }

  dispose(): void {
    this.discriminator.dispose();
    this.optimizer.dispose();
  }
}
