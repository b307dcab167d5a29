// Inception score (Salimans et al. 2016) as the WaveGAN paper computes it on its digit classifier:
// exp E_x[KL(p(y|x) ‖ p(y))], with p(y) the mean prediction of each split, averaged over splits.
import { type Tensor, noGrad, tidy } from '../tensor/index.js';

export interface InceptionScore {
  mean: number;
  std: number;
  splits: number;
}

/** IS of class probabilities [N, K] (rows sum to 1) over `splits` consecutive splits (default 10). */
export function inceptionScore(probabilities: Tensor, splits = 10): InceptionScore {
  if (probabilities.rank !== 2)
    throw new Error(`inception score needs probabilities [count, classes], got [${probabilities.shape.join(', ')}]`);
  const count = probabilities.shape[0] ?? 0;
  if (!Number.isInteger(splits) || splits < 1 || splits > count)
    throw new Error(`inception score needs 1..${count} splits, got ${splits}`);
  const scores = noGrad(() =>
    tidy(() => {
      const p = probabilities.to('float64');
      const values: number[] = [];
      for (let split = 0; split < splits; split++) {
        const start = Math.floor((split * count) / splits);
        const end = Math.floor(((split + 1) * count) / splits);
        values.push(
          tidy(() => {
            const part = p.narrow(0, start, end - start);
            const marginal = part.mean(0, true);
            // 0·log 0 = 0: clamping inside the log leaves those terms at 0
            const kl = part.mul(part.clamp(1e-30).log().sub(marginal.clamp(1e-30).log())).sum(1);
            return Math.exp(kl.mean().item());
          }),
        );
      }
      return values;
    }),
  );
  const mean = scores.reduce((sum, value) => sum + value, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((sum, value) => sum + (value - mean) ** 2, 0) / scores.length);
  return { mean, std, splits };
}
