// Loss functions: the classic ones over the native kernels (with shape checks that name the
// problem), a VAE's Gaussian KL, and the GAN losses (hinge, non-saturating).
import { type Tensor, F, tidy } from '../tensor/index.js';

export type Reduction = 'none' | 'mean' | 'sum';

function sameShape(loss: string, input: Tensor, target: Tensor): void {
  if (input.shape.join(',') !== target.shape.join(',')) {
    throw new Error(
      `${loss}: input [${input.shape.join(', ')}] and target [${target.shape.join(', ')}] must have the same shape`,
    );
  }
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? loss.sum() : loss.mean();
}

export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  sameShape('mseLoss', input, target);
  return F.mseLoss(input, target, options.reduction ?? 'mean');
}

export function l1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  sameShape('l1Loss', input, target);
  return F.l1Loss(input, target, options.reduction ?? 'mean');
}

/** Binary cross-entropy on logits (numerically stable); target holds probabilities in [0, 1]. */
export function bceWithLogits(
  logits: Tensor,
  target: Tensor,
  options: { reduction?: Reduction; weight?: Tensor; posWeight?: Tensor } = {},
): Tensor {
  sameShape('bceWithLogits', logits, target);
  return F.bceWithLogits(logits, target, options);
}

export interface CrossEntropyOptions {
  /** Targets equal to this are skipped (and excluded from the mean). Default -100, as PyTorch. */
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: Reduction;
  /** Per-class weights [C]. */
  weight?: Tensor;
}

/**
 * Cross-entropy of logits [N, C] or [N, T, C] (classes last, as a text decoder produces them) against
 * int64 class indices [N] or [N, T]. With reduction 'none' the result has the target's shape.
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const shape = logits.shape;
  const classes = shape[shape.length - 1] ?? 0;
  if (shape.length < 2 || target.shape.join(',') !== shape.slice(0, -1).join(',')) {
    throw new Error(
      `crossEntropy: logits [..., C] need target [...] (class indices): got logits [${shape.join(', ')}] and target [${target.shape.join(', ')}]`,
    );
  }
  if (target.dtype !== 'int64')
    throw new Error(`crossEntropy: target must hold int64 class indices, got ${target.dtype}; convert with .long()`);
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1))
    throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${smoothing}`);
  const reduction = options.reduction ?? 'mean';
  return tidy(() => {
    const flatLogits = shape.length === 2 ? logits : logits.reshape(-1, classes);
    const flatTarget = shape.length === 2 ? target : target.reshape(-1);
    const loss = F.crossEntropy(flatLogits, flatTarget, {
      ignoreIndex: options.ignoreIndex ?? -100,
      labelSmoothing: smoothing,
      reduction,
      weight: options.weight,
    });
    return reduction === 'none' && shape.length !== 2 ? loss.reshape(...target.shape) : loss;
  });
}

export type KlReduction = Reduction | 'batchmean';

/**
 * KL(N(mean, exp(logVar)) || N(0, 1)) = -0.5 (1 + logVar - mean^2 - exp(logVar)), elementwise.
 * Default 'batchmean': summed over latent dimensions, averaged over the batch (dim 0), as VAEs use it.
 */
export function gaussianKl(mean: Tensor, logVar: Tensor, options: { reduction?: KlReduction } = {}): Tensor {
  sameShape('gaussianKl', mean, logVar);
  const reduction = options.reduction ?? 'batchmean';
  return tidy(() => {
    const elementwise = logVar.exp().add(mean.square()).sub(logVar).sub(1).mul(0.5);
    if (reduction === 'batchmean') return elementwise.sum().div(mean.shape[0] ?? 1);
    return reduce(elementwise, reduction);
  });
}

/** Hinge loss for the discriminator: mean(relu(1 - real)) + mean(relu(1 + fake)). */
export function hingeDiscriminatorLoss(realLogits: Tensor, fakeLogits: Tensor): Tensor {
  return tidy(() => realLogits.rsub(1).relu().mean().add(fakeLogits.add(1).relu().mean()));
}

/** Hinge loss for the generator: -mean(fake). */
export function hingeGeneratorLoss(fakeLogits: Tensor): Tensor {
  return tidy(() => fakeLogits.mean().neg());
}

/** Non-saturating generator loss: mean(softplus(-fake)) = BCE(fake, real label). */
export function nonSaturatingGeneratorLoss(fakeLogits: Tensor): Tensor {
  return tidy(() => fakeLogits.neg().softplus().mean());
}

/** Standard GAN discriminator loss: mean(softplus(-real)) + mean(softplus(fake)). */
export function nonSaturatingDiscriminatorLoss(realLogits: Tensor, fakeLogits: Tensor): Tensor {
  return tidy(() => realLogits.neg().softplus().mean().add(fakeLogits.softplus().mean()));
}
