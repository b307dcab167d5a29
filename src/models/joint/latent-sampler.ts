// A latent sampler fitted after training on the aggregate posterior: a diagonal Gaussian mixture, fitted
// by seeded EM on the posterior means of the training set. Drawing joint samples from it instead of the
// prior keeps them where the data's latents are (the prior has holes a VAE never decodes well).
import { Module } from '../../nn/index.js';
import {
  Generator,
  type Tensor,
  multinomial,
  noGrad,
  randint,
  randn,
  randperm,
  tidy,
  zeros,
  ones,
} from '../../tensor/index.js';

const LOG_TWO_PI = Math.log(2 * Math.PI);

export class MixtureSampler extends Module {
  readonly components: number;
  private readonly weights: Tensor;
  private readonly means: Tensor;
  private readonly logVars: Tensor;
  /** 1 once fitted (saved with the run). */
  private readonly fitted: Tensor;

  constructor(components: number, dim: number) {
    super();
    this.components = components;
    this.weights = this.registerBuffer(
      'weights',
      tidy(() => ones([components]).div(components)),
    );
    this.means = this.registerBuffer('means', zeros([components, dim]));
    this.logVars = this.registerBuffer('logVars', zeros([components, dim]));
    this.fitted = this.registerBuffer('fitted', zeros([1]));
  }

  get isFitted(): boolean {
    return this.fitted.item() > 0;
  }

  /** Log-responsibilities [N, K] and per-point log-likelihood [N] of points [N, D]. */
  private assign(
    points: Tensor,
    weights: Tensor,
    means: Tensor,
    logVars: Tensor,
  ): { logResponsibility: Tensor; logLikelihood: Tensor } {
    return tidy(() => {
      const difference = points.unsqueeze(1).sub(means.unsqueeze(0));
      const logDensity = difference
        .square()
        .div(logVars.exp().unsqueeze(0))
        .add(logVars.unsqueeze(0))
        .add(LOG_TWO_PI)
        .sum(2)
        .mul(-0.5);
      const joint = logDensity.add(weights.clamp(1e-12).log().unsqueeze(0));
      const logLikelihood = joint.logsumexp(1);
      return { logResponsibility: joint.sub(logLikelihood.unsqueeze(1)), logLikelihood };
    });
  }

  /** EM on points [N, D] from seeded initial means (K random points); returns the final mean log-likelihood. */
  fit(points: Tensor, seed: number, iterations = 60): number {
    const count = points.shape[0] ?? 0;
    if (count < 1) throw new Error('the latent mixture needs at least one point to fit');
    const generator = new Generator(seed);
    try {
      return noGrad(() => {
        let { weights, means, logVars } = tidy(() => {
          const spread = points.var(0, true).clamp(1e-4);
          return {
            weights: ones([this.components]).div(this.components),
            // K distinct points to start from (with repeats when there are fewer points than components)
            means: points.indexSelect(
              0,
              count >= this.components
                ? randperm(count, generator).narrow(0, 0, this.components)
                : randint(0, count, [this.components], { generator }),
            ),
            logVars: spread
              .log()
              .expand(this.components, spread.shape[1] ?? 1)
              .contiguous(),
          };
        });
        let last = Number.NEGATIVE_INFINITY;
        for (let iteration = 0; iteration < iterations; iteration++) {
          const next = tidy(() => {
            const { logResponsibility, logLikelihood } = this.assign(points, weights, means, logVars);
            const responsibility = logResponsibility.exp();
            const mass = responsibility.sum(0).add(1e-6);
            const newMeans = responsibility.transpose(0, 1).matmul(points).div(mass.unsqueeze(1));
            const second = responsibility.transpose(0, 1).matmul(points.square()).div(mass.unsqueeze(1));
            const variance = second.sub(newMeans.square()).clamp(1e-4);
            return {
              weights: mass.div(count),
              means: newMeans,
              logVars: variance.log(),
              value: logLikelihood.mean().item(),
            };
          });
          weights.dispose();
          means.dispose();
          logVars.dispose();
          ({ weights, means, logVars } = next);
          last = next.value;
        }
        this.weights.copy_(weights);
        this.means.copy_(means);
        this.logVars.copy_(logVars);
        this.fitted.fill_(1);
        for (const value of [weights, means, logVars]) value.dispose();
        return last;
      });
    } finally {
      generator.dispose();
    }
  }

  /** Mean log-likelihood of points under the fitted mixture. */
  logLikelihood(points: Tensor): number {
    return noGrad(() =>
      tidy(() => this.assign(points, this.weights, this.means, this.logVars).logLikelihood.mean().item()),
    );
  }

  /** n draws [n, D]: a component by weight, then a Gaussian draw. */
  sample(count: number, generator: Generator): Tensor {
    if (!this.isFitted) throw new Error('the latent mixture has not been fitted yet (it is fitted when training ends)');
    return noGrad(() =>
      tidy(() => {
        const component = multinomial(this.weights.unsqueeze(0), count, true, generator).reshape(count);
        const means = this.means.indexSelect(0, component);
        const std = this.logVars.indexSelect(0, component).mul(0.5).exp();
        return means.add(std.mul(randn(means.shape, { generator })));
      }),
    );
  }
}
