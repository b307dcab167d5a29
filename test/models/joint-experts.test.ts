// The joint VAE's posterior arithmetic against answers known in closed form: the product of Gaussian
// experts, MoPoE's subset enumeration, and the IWAE bound and DReG gradient on a conjugate Gaussian model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  doublyReparameterisedBound,
  gaussianLogDensity,
  importanceWeightedBound,
  mixtureLogDensity,
  nonEmptySubsets,
  normalLogDensity,
  productOfExperts,
  subsetAvailable,
  subsetMasks,
} from '../../src/models/joint/experts.js';
import { Generator, type Tensor, grad, memory, randn, tensor, tidy, zeros } from '../../src/tensor/index.js';

const close = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} should be within ${tolerance} of ${expected}`,
  );

test('the product of Gaussian experts with the prior expert matches the closed form, and masks leave experts out', () => {
  const before = memory().tensors;
  tidy(() => {
    // two rows: row 0 observes both experts, row 1 only the first
    const first = { mean: tensor([[1], [1]]), logVar: tensor([[Math.log(0.5)], [Math.log(0.5)]]) };
    const second = { mean: tensor([[3], [3]]), logVar: tensor([[Math.log(2)], [Math.log(2)]]) };
    const product = productOfExperts([first, second], [tensor([1, 1]), tensor([1, 0])]);
    const means = product.mean.toFlatArray();
    const variances = product.logVar.exp().toFlatArray();
    // precisions 1 (prior) + 2 + 0.5 = 3.5; mean (0 + 1·2 + 3·0.5) / 3.5 = 1
    close(means[0] as number, 1, 1e-6, 'mean with both experts');
    close(variances[0] as number, 1 / 3.5, 1e-6, 'variance with both experts');
    // precisions 1 + 2 = 3; mean 2 / 3
    close(means[1] as number, 2 / 3, 1e-6, 'mean with the first expert only');
    close(variances[1] as number, 1 / 3, 1e-6, 'variance with the first expert only');
  });
  assert.equal(memory().tensors, before);
});

test('MoPoE enumerates every non-empty subset once, and a subset is available only where all its modalities are', () => {
  assert.deepEqual(nonEmptySubsets(2), [1, 2, 3]);
  assert.equal(nonEmptySubsets(3).length, 7);
  assert.equal(new Set(nonEmptySubsets(3)).size, 7);
  assert.throws(() => nonEmptySubsets(0), /modalities must be 1\.\.16/);
  tidy(() => {
    const presence = [tensor([1, 1, 0]), tensor([1, 0, 1])];
    assert.deepEqual(Array.from(subsetAvailable(presence, 3).toFlatArray()), [1, 0, 0]);
    assert.deepEqual(Array.from(subsetAvailable(presence, 2).toFlatArray()), [1, 0, 1]);
    const masks = subsetMasks(presence, 1);
    assert.deepEqual(Array.from(masks[1]?.toFlatArray() ?? []), [0, 0, 0]);
  });
});

// The conjugate model p(z) = N(0, 1), p(x | z) = N(z, 1) has the posterior N(x/2, 1/2) and log p(x) = log N(x; 0, 2).
const x = 1.5;
const logMarginal = -0.5 * (Math.log(2 * Math.PI * 2) + (x * x) / 2);
const rows = 2000;

/** log-weights [K, B] of draws z = route(mean + σ ε) under q = N(mean, σ²) (q's parameters detached when asked). */
function conjugateLogWeights(
  mean: Tensor,
  logVar: Tensor,
  noise: Tensor,
  route: (draw: Tensor) => Tensor,
  detachDensity: boolean,
): Tensor {
  const z = route(mean.add(logVar.mul(0.5).exp().mul(noise)));
  const q = detachDensity ? { mean: mean.detach(), logVar: logVar.detach() } : { mean, logVar };
  const likelihood = normalLogDensity(z.sub(x));
  return likelihood.add(normalLogDensity(z)).sub(gaussianLogDensity(z, q));
}

test('the IWAE bound is log p(x) exactly for the true posterior and tightens with K for a worse proposal', () => {
  const before = memory().tensors;
  const generator = new Generator(5);
  tidy(() => {
    const exactMean = zeros([rows, 1]).add(x / 2);
    const exactLogVar = zeros([rows, 1]).add(Math.log(0.5));
    for (const samples of [1, 5, 50]) {
      const noise = randn([samples, rows, 1], { generator });
      const bound = importanceWeightedBound(conjugateLogWeights(exactMean, exactLogVar, noise, (z) => z, false))
        .mean()
        .item();
      close(bound, logMarginal, 1e-4, `IWAE at K=${samples} with the exact posterior`);
    }
    // the prior as proposal: the bound rises with K and stays below log p(x)
    const priorMean = zeros([rows, 1]);
    const priorLogVar = zeros([rows, 1]);
    const bounds = [1, 10, 100].map((samples) =>
      importanceWeightedBound(
        conjugateLogWeights(priorMean, priorLogVar, randn([samples, rows, 1], { generator }), (z) => z, false),
      )
        .mean()
        .item(),
    );
    assert.ok(
      (bounds[0] as number) < (bounds[1] as number) && (bounds[1] as number) < (bounds[2] as number),
      `bounds should rise with K: ${bounds.join(', ')}`,
    );
    assert.ok((bounds[2] as number) < logMarginal, `the bound ${bounds[2]} stays below log p(x) ${logMarginal}`);
    close(bounds[2] as number, logMarginal, 0.05, 'IWAE at K=100 with the prior as proposal');
  });
  generator.dispose();
  assert.equal(memory().tensors, before);
});

test('DReG: the same bound, a zero gradient at the true posterior (where IWAE has noise), and the right direction elsewhere', () => {
  const before = memory().tensors;
  const generator = new Generator(7);
  tidy(() => {
    const noise = randn([8, 64, 1], { generator });
    const gradientsAt = (
      meanValue: number,
      estimator: 'dreg' | 'iwae',
    ): { value: number; mean: number; logVar: number } =>
      tidy(() => {
        const mean = zeros([64, 1]).add(meanValue).requiresGrad_(true);
        const logVar = zeros([64, 1]).add(Math.log(0.5)).requiresGrad_(true);
        const bound =
          estimator === 'dreg'
            ? doublyReparameterisedBound((route) => conjugateLogWeights(mean, logVar, noise, route, true))
            : importanceWeightedBound(conjugateLogWeights(mean, logVar, noise, (z) => z, false));
        const objective = bound.sum();
        const [meanGradient, logVarGradient] = grad(objective, [mean, logVar]);
        return {
          value: bound.mean().item(),
          mean: (meanGradient as Tensor).abs().sum().item(),
          logVar: (logVarGradient as Tensor).abs().sum().item(),
        };
      });
    const dreg = gradientsAt(x / 2, 'dreg');
    const iwae = gradientsAt(x / 2, 'iwae');
    close(dreg.value, logMarginal, 1e-4, 'DReG value at the exact posterior');
    assert.ok(
      dreg.mean < 1e-4 && dreg.logVar < 1e-4,
      `DReG gradient at the optimum should vanish: ${dreg.mean}, ${dreg.logVar}`,
    );
    assert.ok(iwae.logVar > 1e-2, `the plain IWAE gradient is noisy at the optimum: ${iwae.logVar}`);
    // a proposal mean below the posterior's: maximising the bound pushes it up
    const low = tidy(() => {
      const mean = zeros([64, 1]).add(0).requiresGrad_(true);
      const logVar = zeros([64, 1]).add(Math.log(0.5)).requiresGrad_(true);
      const bound = doublyReparameterisedBound((route) => conjugateLogWeights(mean, logVar, noise, route, true));
      const [meanGradient] = grad(bound.sum(), [mean]);
      return (meanGradient as Tensor).sum().item();
    });
    assert.ok(low > 0, `DReG should push a low proposal mean up: ${low}`);
  });
  generator.dispose();
  assert.equal(memory().tensors, before);
});

test('the mixture density leaves unobserved experts out', () => {
  tidy(() => {
    const z = tensor([[[0.5]]]);
    const first = { mean: tensor([[0]]), logVar: tensor([[0]]) };
    const second = { mean: tensor([[3]]), logVar: tensor([[0]]) };
    const only = mixtureLogDensity(z, [first, second], [tensor([1]), tensor([0])]).item();
    close(only, gaussianLogDensity(z, first).item(), 1e-5, 'one observed expert');
    const both = mixtureLogDensity(z, [first, second], [tensor([1]), tensor([1])]).item();
    const expected = Math.log(
      0.5 * Math.exp(gaussianLogDensity(z, first).item()) + 0.5 * Math.exp(gaussianLogDensity(z, second).item()),
    );
    close(both, expected, 1e-5, 'two observed experts');
  });
});
