// Distribution distances on feature vectors (judge features): Fréchet distance (FID) and
// kernel inception distance (KID, unbiased MMD² with the cubic polynomial kernel), both in float64.
import { Generator, type Tensor, eigh, eye, noGrad, randperm, tidy } from '../tensor/index.js';

function checkFeatures(name: string, features: Tensor, minimum = 2): void {
  if (features.rank !== 2) throw new Error(`${name} features must be [count, dim], got [${features.shape.join(', ')}]`);
  if ((features.shape[0] ?? 0) < minimum)
    throw new Error(`${name} needs at least ${minimum} feature vectors, got ${features.shape[0]}`);
}

function checkPair(featuresA: Tensor, featuresB: Tensor, minimum = 2): void {
  checkFeatures('first', featuresA, minimum);
  checkFeatures('second', featuresB, minimum);
  if (featuresA.shape[1] !== featuresB.shape[1])
    throw new Error(`feature dims differ: ${featuresA.shape[1]} vs ${featuresB.shape[1]}`);
}

/** Mean and unbiased covariance of [N, D] features, in float64. */
export function featureStatistics(features: Tensor): { mean: Tensor; covariance: Tensor } {
  checkFeatures('statistics', features);
  return noGrad(() =>
    tidy(() => {
      const x = features.to('float64');
      const mean = x.mean(0);
      const centred = x.sub(mean);
      const covariance = centred.T.matmul(centred).div((x.shape[0] ?? 2) - 1);
      return { mean, covariance };
    }),
  );
}

/** Symmetric PSD square root through eigh (negative eigenvalues from rounding are clamped to 0). */
function symmetricSqrt(matrix: Tensor): Tensor {
  const [values, vectors] = eigh(matrix);
  return vectors.mul(values.clamp(0).sqrt().unsqueeze(0)).matmul(vectors.T);
}

/** Sum of the diagonal. */
function trace(matrix: Tensor): number {
  return tidy(() =>
    matrix
      .mul(eye(matrix.shape[0] ?? 0, matrix.shape[1] ?? 0, matrix.dtype))
      .sum()
      .item(),
  );
}

/**
 * Fréchet distance between the Gaussians fitted to two feature sets:
 * |μ1-μ2|² + Tr(Σ1 + Σ2 - 2(Σ1Σ2)^½), with unbiased covariances as pytorch-fid.
 */
export function frechetDistance(featuresA: Tensor, featuresB: Tensor): number {
  checkPair(featuresA, featuresB);
  return noGrad(() =>
    tidy(() => {
      const a = featureStatistics(featuresA);
      const b = featureStatistics(featuresB);
      const meanTerm = a.mean.sub(b.mean).square().sum().item();
      // Tr((Σ1Σ2)^½) = Σ sqrt(eig(Σ1^½ Σ2 Σ1^½)): that matrix is symmetric PSD with the eigenvalues of Σ1Σ2
      const root = symmetricSqrt(a.covariance);
      const middle = root.matmul(b.covariance).matmul(root);
      const [values] = eigh(middle.add(middle.T).div(2));
      const traceRoot = values.clamp(0).sqrt().sum().item();
      // rounding can leave a tiny negative value for identical sets
      return Math.max(0, meanTerm + trace(a.covariance) + trace(b.covariance) - 2 * traceRoot);
    }),
  );
}

/** Unbiased MMD² between two float64 feature sets with k(x, y) = (x·y / dim + 1)³. */
export function polynomialMmd(x: Tensor, y: Tensor): number {
  checkPair(x, y);
  return noGrad(() =>
    tidy(() => {
      const a = x.to('float64');
      const b = y.to('float64');
      const dim = a.shape[1] ?? 1;
      const n = a.shape[0] ?? 0;
      const m = b.shape[0] ?? 0;
      const kernel = (p: Tensor, q: Tensor): Tensor => p.matmul(q.T).div(dim).add(1).pow(3);
      const offDiagonalMean = (k: Tensor, size: number): number => (k.sum().item() - trace(k)) / (size * (size - 1));
      return (
        offDiagonalMean(kernel(a, a), n) + offDiagonalMean(kernel(b, b), m) - (2 * kernel(a, b).sum().item()) / (n * m)
      );
    }),
  );
}

export interface KidOptions {
  /** Random subsets averaged (default 100). */
  subsets?: number;
  /** Samples per subset from each set, drawn without replacement (default 1000, at most the smaller set). */
  subsetSize?: number;
  seed?: number;
}

export interface KidResult {
  mean: number;
  /** Spread over subsets (population std, as torch-fidelity). */
  std: number;
  subsets: number;
  subsetSize: number;
}

/** KID: mean and std of the unbiased polynomial-kernel MMD² over seeded random subsets. */
export function kernelInceptionDistance(featuresA: Tensor, featuresB: Tensor, options: KidOptions = {}): KidResult {
  checkPair(featuresA, featuresB);
  const n = featuresA.shape[0] ?? 0;
  const m = featuresB.shape[0] ?? 0;
  const subsetSize = Math.min(options.subsetSize ?? 1000, n, m);
  const subsets = options.subsets ?? 100;
  if (!Number.isInteger(subsets) || subsets < 1)
    throw new Error(`KID subsets must be a positive integer, got ${subsets}`);
  if (!Number.isInteger(subsetSize) || subsetSize < 2)
    throw new Error(`KID subsetSize must be an integer >= 2, got ${options.subsetSize}`);
  const generator = new Generator(options.seed ?? 0);
  const values: number[] = [];
  try {
    noGrad(() =>
      tidy(() => {
        const a = featuresA.to('float64');
        const b = featuresB.to('float64');
        for (let k = 0; k < subsets; k++) {
          values.push(
            tidy(() =>
              polynomialMmd(
                a.indexSelect(0, randperm(n, generator).narrow(0, 0, subsetSize)),
                b.indexSelect(0, randperm(m, generator).narrow(0, 0, subsetSize)),
              ),
            ),
          );
        }
      }),
    );
  } finally {
    generator.dispose();
  }
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance), subsets, subsetSize };
}

/** Splits [N, D] features into two halves by a seeded permutation (for real-vs-real floors); an odd row is left out. */
export function splitHalves(features: Tensor, seed = 0): [Tensor, Tensor] {
  const half = Math.floor((features.shape[0] ?? 0) / 2);
  return permutedParts(features, half, half, seed);
}

/**
 * Splits [N, D] features by a seeded permutation into `first` rows (at most N / 2) and all the others. A real-vs-real
 * floor at the generated sample size: FID is biased upward by about 1/n + 1/m, so a floor from two halves of 5000
 * is not what 1000 generated images against 10000 real ones can reach.
 */
export function splitReal(features: Tensor, first: number, seed = 0): [Tensor, Tensor] {
  const count = features.shape[0] ?? 0;
  const size = Math.max(2, Math.min(Math.floor(count / 2), Math.floor(first)));
  return permutedParts(features, size, count - size, seed);
}

/** The first `first` and the next `second` rows of a seeded permutation of the features. */
function permutedParts(features: Tensor, first: number, second: number, seed: number): [Tensor, Tensor] {
  checkFeatures('real', features, 4);
  const generator = new Generator(seed);
  try {
    return tidy(() => {
      const order = randperm(features.shape[0] ?? 0, generator);
      return [
        features.indexSelect(0, order.narrow(0, 0, first)),
        features.indexSelect(0, order.narrow(0, first, second)),
      ];
    });
  } finally {
    generator.dispose();
  }
}
