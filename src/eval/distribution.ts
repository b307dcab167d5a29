// Distribution distances on feature vectors (judge features): Fréchet distance (FID) and
// kernel inception distance (KID, unbiased MMD² with the cubic polynomial kernel).
import { Generator, type Tensor, eigh, eye, noGrad, randperm, tidy } from '../tensor/index.js';

function checkFeatures(name: string, features: Tensor): void {
  if (features.rank !== 2) throw new Error(`${name} features must be [count, dim], got [${features.shape.join(', ')}]`);
  if ((features.shape[0] ?? 0) < 2) throw new Error(`${name} needs at least 2 feature vectors, got ${features.shape[0]}`);
}

/** Mean and unbiased covariance of [N, D] features, in float64. */
export function featureStatistics(features: Tensor): { mean: Tensor; covariance: Tensor } {
  return tidy(() => {
    const x = features.to('float64');
    const mean = x.mean(0);
    const centred = x.sub(mean);
    const covariance = centred.T.matmul(centred).div((x.shape[0] ?? 2) - 1);
    return { mean, covariance };
  });
}

/** Symmetric PSD square root through eigh (negative eigenvalues from rounding are clamped to 0). */
function symmetricSqrt(matrix: Tensor): Tensor {
  const [values, vectors] = eigh(matrix);
  return vectors.mul(values.clamp(0).sqrt().unsqueeze(0)).matmul(vectors.T);
}

/** Fréchet distance between Gaussians fitted to two feature sets: |μ1-μ2|² + Tr(Σ1 + Σ2 - 2(Σ1Σ2)^½). */
export function frechetDistance(featuresA: Tensor, featuresB: Tensor): number {
  checkFeatures('first', featuresA);
  checkFeatures('second', featuresB);
  if (featuresA.shape[1] !== featuresB.shape[1]) throw new Error(`feature dims differ: ${featuresA.shape[1]} vs ${featuresB.shape[1]}`);
  return noGrad(() =>
    tidy(() => {
      const a = featureStatistics(featuresA);
      const b = featureStatistics(featuresB);
      const meanTerm = a.mean.sub(b.mean).square().sum().item();
      // Tr((Σ1Σ2)^½) = Σ sqrt(eig(Σ1^½ Σ2 Σ1^½)), a symmetric PSD matrix with the same eigenvalues
      const root = symmetricSqrt(a.covariance);
      const middle = root.matmul(b.covariance).matmul(root);
      const symmetric = middle.add(middle.T).div(2);
      const [values] = eigh(symmetric);
      const traceRoot = values.clamp(0).sqrt().sum().item();
      return Math.max(0, meanTerm + trace(a.covariance) + trace(b.covariance) - 2 * traceRoot);
    }),
  );
}

/** Sum of the diagonal. */
function trace(matrix: Tensor): number {
  return tidy(() => matrix.mul(eye(matrix.shape[0] ?? 0, matrix.shape[1] ?? 0, matrix.dtype)).sum().item());
}

function polynomialMmd(x: Tensor, y: Tensor): number {
  return tidy(() => {
    const dim = x.shape[1] ?? 1;
    const n = x.shape[0] ?? 0;
    const m = y.shape[0] ?? 0;
    const kernel = (a: Tensor, b: Tensor): Tensor => a.matmul(b.T).div(dim).add(1).pow(3);
    const kxx = kernel(x, x);
    const kyy = kernel(y, y);
    const kxy = kernel(x, y);
    const offDiagonal = (k: Tensor, size: number): number => (k.sum().item() - trace(k)) / (size * (size - 1));
    return offDiagonal(kxx, n) + offDiagonal(kyy, m) - (2 * kxy.sum().item()) / (n * m);
  });
}

/** KID: mean and std of the unbiased polynomial-kernel MMD² over seeded random subsets. */
export function kernelInceptionDistance(featuresA: Tensor, featuresB: Tensor, options: { subsets?: number; subsetSize?: number; seed?: number } = {}): { mean: number; std: number } {
  checkFeatures('first', featuresA);
  checkFeatures('second', featuresB);
  const n = featuresA.shape[0] ?? 0;
  const m = featuresB.shape[0] ?? 0;
  const size = Math.min(options.subsetSize ?? 1000, n, m);
  const subsets = options.subsets ?? 100;
  const generator = new Generator(options.seed ?? 0);
  const values: number[] = [];
  try {
    noGrad(() => {
      const a = tidy(() => featuresA.to('float64'));
      const b = tidy(() => featuresB.to('float64'));
      for (let k = 0; k < subsets; k++) {
        values.push(tidy(() => polynomialMmd(a.indexSelect(0, randperm(n, generator).narrow(0, 0, size)), b.indexSelect(0, randperm(m, generator).narrow(0, 0, size)))));
      }
      a.dispose();
      b.dispose();
    });
  } finally {
    generator.dispose();
  }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}
