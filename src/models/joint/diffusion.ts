// The variance-preserving cosine schedule (Nichol & Dhariwal 2021) over continuous time t ∈ [0, 1], with
// ᾱ(0) = 1 exactly, and the deterministic DDIM update (Song et al. 2021) for ε or v prediction. Times are
// per element: a multimodal latent carries one time per modality, 0 where a modality is the condition.
import { type Tensor, tidy } from '../../tensor/index.js';

/** Offset of the cosine schedule (keeps β small near t = 0). */
const OFFSET = 0.008;
/** ᾱ never reaches 0: at t = 1 the signal is ~1e-4 of the noise. */
const MIN_ALPHA_BAR = 1e-8;

const cosineAt = (t: number): number => Math.cos(((t + OFFSET) / (1 + OFFSET)) * (Math.PI / 2)) ** 2;
const AT_ZERO = cosineAt(0);

/** ᾱ(t) for a number: 1 at t = 0, falling monotonically to ~0 at t = 1. */
export function alphaBar(t: number): number {
  if (t <= 0) return 1;
  return Math.max(MIN_ALPHA_BAR, cosineAt(Math.min(1, t)) / AT_ZERO);
}

/** ᾱ(t) elementwise for a tensor of times. */
export function alphaBarTensor(t: Tensor): Tensor {
  return tidy(() => {
    const angle = t
      .clamp(0, 1)
      .add(OFFSET)
      .div(1 + OFFSET)
      .mul(Math.PI / 2);
    const value = angle.cos().square().div(AT_ZERO).clamp(MIN_ALPHA_BAR, 1);
    // exactly 1 where t = 0 (a conditioning modality is never noised)
    return value.add(t.le(0).float().mul(value.rsub(1)));
  });
}

export type Prediction = 'epsilon' | 'v';

/** x_t = √ᾱ x₀ + √(1−ᾱ) ε. */
export function noised(clean: Tensor, noise: Tensor, alpha: Tensor): Tensor {
  return tidy(() => clean.mul(alpha.sqrt()).add(noise.mul(alpha.rsub(1).sqrt())));
}

/** The training target of the network: ε, or v = √ᾱ ε − √(1−ᾱ) x₀. */
export function target(clean: Tensor, noise: Tensor, alpha: Tensor, prediction: Prediction): Tensor {
  if (prediction === 'epsilon') return noise.clone();
  return tidy(() => noise.mul(alpha.sqrt()).sub(clean.mul(alpha.rsub(1).sqrt())));
}

/** The clean estimate x̂₀ and noise estimate ε̂ from the network's output at x_t. */
export function estimates(
  current: Tensor,
  output: Tensor,
  alpha: Tensor,
  prediction: Prediction,
): { clean: Tensor; noise: Tensor } {
  return tidy(() => {
    const signal = alpha.sqrt();
    const spread = alpha.rsub(1).sqrt();
    if (prediction === 'epsilon') {
      return { clean: current.sub(output.mul(spread)).div(signal.clamp(1e-4)), noise: output.clone() };
    }
    // v-prediction: x₀ = √ᾱ x_t − √(1−ᾱ) v, ε = √(1−ᾱ) x_t + √ᾱ v
    return { clean: current.mul(signal).sub(output.mul(spread)), noise: current.mul(spread).add(output.mul(signal)) };
  });
}

/**
 * The noise of a DDIM step from ᾱ_t to ᾱ_s with stochasticity η (Song et al. 2021, eq. 16):
 * σ = η √((1−ᾱ_s)/(1−ᾱ_t)) √(1−ᾱ_t/ᾱ_s). η = 0 is DDIM, η = 1 DDPM's ancestral step.
 */
export function ddimSigma(alpha: number, nextAlpha: number, eta: number): number {
  if (eta === 0 || nextAlpha >= 1) return 0;
  return eta * Math.sqrt((1 - nextAlpha) / (1 - alpha)) * Math.sqrt(Math.max(0, 1 - alpha / nextAlpha));
}

/**
 * One DDIM step from ᾱ_t to ᾱ_s (s < t): x_s = √ᾱ_s x̂₀ + √(1−ᾱ_s−σ²) ε̂ + σ z, with `fresh` noise z of spread σ;
 * without it σ = 0, the deterministic step.
 */
export function ddimStep(
  clean: Tensor,
  noise: Tensor,
  nextAlpha: Tensor,
  fresh?: { sigma: number; noise: Tensor },
): Tensor {
  const sigma = fresh?.sigma ?? 0;
  return tidy(() => {
    const step = clean.mul(nextAlpha.sqrt()).add(
      noise.mul(
        nextAlpha
          .rsub(1)
          .sub(sigma * sigma)
          .clamp(0)
          .sqrt(),
      ),
    );
    return fresh ? step.add(fresh.noise.mul(sigma)) : step;
  });
}

/** The times a DDIM sampler visits, from 1 down to 0, `steps` + 1 values. */
export function samplerTimes(steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > 10000)
    throw new Error(`sampler steps must be an integer from 1 to 10000, got ${steps}`);
  return Array.from({ length: steps + 1 }, (_, index) => 1 - index / steps);
}

/** A classifier-free guidance weight: a finite number ≥ 0 (1 is plain conditional sampling). */
export function checkGuidance(guidance: number): number {
  if (!(Number.isFinite(guidance) && guidance >= 0)) throw new Error(`guidance must be a number ≥ 0, got ${guidance}`);
  return guidance;
}
