// Gaussian experts and how a joint posterior is formed from them (the multimodal-VAE literature):
// product of experts with a prior expert (MVAE), mixtures over modalities (MMVAE) and over subsets of
// products (MoPoE), plus the importance-weighted bounds (IWAE, DReG) the mixtures train with.
// Every expert is diagonal: mean and log-variance [B, D]. Presence masks are float [B] (1 = observed).
import { type Generator, type Tensor, cat, noGrad, randn, stack, tidy } from '../../tensor/index.js';

export interface Gaussian {
  mean: Tensor;
  logVar: Tensor;
}

const LOG_TWO_PI = Math.log(2 * Math.PI);

/**
 * The product of the standard-normal prior expert and the experts whose mask is 1 for a row: precision
 * adds up, the mean is the precision-weighted mean. A row with no observed expert gets the prior.
 */
export function productOfExperts(experts: readonly Gaussian[], masks: readonly Tensor[]): Gaussian {
  if (experts.length !== masks.length)
    throw new Error(`productOfExperts: ${experts.length} experts but ${masks.length} masks`);
  return tidy(() => {
    let precision: Tensor | undefined;
    let weighted: Tensor | undefined;
    experts.forEach((expert, index) => {
      const mask = (masks[index] as Tensor).unsqueeze(1);
      const own = expert.logVar.neg().exp().mul(mask);
      precision = precision ? precision.add(own) : own.add(1);
      const part = expert.mean.mul(own);
      weighted = weighted ? weighted.add(part) : part;
    });
    if (!precision || !weighted) throw new Error('productOfExperts needs at least one expert');
    return { mean: weighted.div(precision), logVar: precision.log().neg() };
  });
}

/** Every non-empty subset of M modalities as a bit mask 1 … 2^M − 1, in increasing order. */
export function nonEmptySubsets(modalities: number): number[] {
  if (!Number.isInteger(modalities) || modalities < 1 || modalities > 16)
    throw new Error(`nonEmptySubsets: modalities must be 1..16, got ${modalities}`);
  return Array.from({ length: (1 << modalities) - 1 }, (_, index) => index + 1);
}

/** The presence masks of one subset: mask m is presence m where bit m is set, else zero. */
export function subsetMasks(presence: readonly Tensor[], subset: number): Tensor[] {
  return presence.map((mask, index) => (subset & (1 << index) ? mask.clone() : mask.mul(0)));
}

/** 1 for rows that have every modality of the subset, else 0: float [B]. */
export function subsetAvailable(presence: readonly Tensor[], subset: number): Tensor {
  return tidy(() => {
    let available: Tensor | undefined;
    presence.forEach((mask, index) => {
      if (subset & (1 << index)) available = available ? available.mul(mask) : mask.clone();
    });
    if (!available) throw new Error('subsetAvailable: the subset is empty');
    return available;
  });
}

/** A reparameterised draw mean + σ·ε. */
export function drawFrom(gaussian: Gaussian, generator: Generator): Tensor {
  return tidy(() => gaussian.mean.add(gaussian.logVar.mul(0.5).exp().mul(randn(gaussian.mean.shape, { generator }))));
}

/** KL(q ‖ N(0, I)) per row: [B]. */
export function klToStandardNormal(gaussian: Gaussian): Tensor {
  return tidy(() => gaussian.mean.square().add(gaussian.logVar.exp()).sub(1).sub(gaussian.logVar).sum(1).mul(0.5));
}

/** log N(z; mean, exp(logVar)) summed over dimensions: [..., B]. Broadcasts z [K, B, D] against [B, D]. */
export function gaussianLogDensity(z: Tensor, gaussian: Gaussian): Tensor {
  return tidy(() => {
    const squared = z.sub(gaussian.mean).square().div(gaussian.logVar.exp());
    return squared.add(gaussian.logVar).add(LOG_TWO_PI).sum(-1).mul(-0.5);
  });
}

/** log N(z; 0, σ²I) summed over dimensions. */
export function normalLogDensity(z: Tensor, std = 1): Tensor {
  return tidy(() =>
    z
      .div(std)
      .square()
      .add(LOG_TWO_PI + 2 * Math.log(std))
      .sum(-1)
      .mul(-0.5),
  );
}

/**
 * log of the uniform mixture of the experts observed in each row, at z [K, B, D]: log (1/|P|) Σ_{m∈P} q_m(z).
 * Unobserved experts are left out with −∞; every row must observe at least one.
 */
export function mixtureLogDensity(z: Tensor, experts: readonly Gaussian[], masks: readonly Tensor[]): Tensor {
  return tidy(() => {
    const parts = experts.map((expert, index) => {
      const mask = masks[index] as Tensor;
      // −1e30 rather than −∞: logsumexp and its gradient stay finite
      return gaussianLogDensity(z, expert).add(mask.sub(1).mul(1e30));
    });
    const count = masks.reduce<Tensor | undefined>(
      (sum, mask) => (sum ? sum.add(mask) : mask.clone()),
      undefined,
    ) as Tensor;
    return stack(parts, 0).logsumexp(0).sub(count.clamp(1).log());
  });
}

/** The IWAE bound per row from log-weights [K, B]: log (1/K) Σ_k w_k. K = 1 is the ELBO. */
export function importanceWeightedBound(logWeights: Tensor): Tensor {
  const samples = logWeights.shape[0] ?? 1;
  return tidy(() => logWeights.logsumexp(0).sub(Math.log(samples)));
}

/**
 * The IWAE bound per row with DReG's gradient (Tucker et al. 2019): `logWeightsOf(route)` computes log-weights
 * [K, B] from draws passed through `route`, with the encoder's density parameters detached (the draws keep
 * their path to them). A first pass without gradients gives the normalised weights w̃; in the second, route
 * scales each draw's gradient by w̃ (its value unchanged), and the surrogate Σ_k w̃_k log w_k scales it again:
 * the encoder gets Σ w̃² ∂log w/∂z ∂z/∂φ, the decoder Σ w̃ ∇θ log w. The value returned is the bound.
 */
export function doublyReparameterisedBound(logWeightsOf: (route: (draw: Tensor) => Tensor) => Tensor): Tensor {
  const first = noGrad(() => logWeightsOf((draw) => draw));
  try {
    return tidy(() => {
      const normalised = first.softmax(0);
      const perDraw = normalised.unsqueeze(2);
      const scaled = logWeightsOf((draw) => draw.detach().add(draw.sub(draw.detach()).mul(perDraw)));
      const surrogate = normalised.mul(scaled).sum(0);
      return surrogate.add(importanceWeightedBound(first).sub(surrogate.detach()));
    });
  } finally {
    first.dispose();
  }
}

/** Detached copy of an expert (for DReG's density terms). */
export function detachGaussian(gaussian: Gaussian): Gaussian {
  return { mean: gaussian.mean.detach(), logVar: gaussian.logVar.detach() };
}

/** Row-wise selection among candidates [S] of tensors [B, D] by one index per row (int64 [B]). */
export function selectRows(candidates: readonly Tensor[], choice: Tensor): Tensor {
  return tidy(() => {
    const stacked = stack([...candidates], 0);
    const [count = 0, rows = 0] = stacked.shape;
    const oneHot = choice.oneHot(count).float().transpose(0, 1).reshape(count, rows, 1);
    return stacked.mul(oneHot).sum(0);
  });
}

/** The modality dimension of experts concatenated with private parts, for callers that need one latent. */
export function concatLatents(parts: readonly Tensor[]): Tensor {
  return cat([...parts], 1);
}
