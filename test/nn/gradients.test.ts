// Analytic gradients (libtorch autograd through our layers) against central finite differences in float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, grad, manualSeed, noGrad, randn, tensor, tidy } from '../../src/tensor/index.js';
import { Conv2d, GRU, LayerNorm, Linear, MultiheadAttention, causalMask, spectralNorm } from '../../src/nn/index.js';
import { noLeaks } from './helpers.js';

/**
 * Compares d(sum(forward() * R))/d(target) with (L(t + h) - L(t - h)) / 2h at a few elements of every
 * target. R is a fixed random projection so every output element matters.
 */
function checkGradients(label: string, forward: () => Tensor, targets: Tensor[], elementsPerTarget = 5): void {
  tidy(() => {
    const projection = noGrad(() => randn(forward().shape, { dtype: 'float64' }));
    const loss = (): Tensor => forward().mul(projection).sum();
    const analytic = grad(loss(), targets);
    const h = 1e-6;
    targets.forEach((target, index) => {
      const shape = target.shape;
      const data = target.dataSync() as Float64Array;
      const gradient = (analytic[index] as Tensor).toFlatArray();
      const step = Math.max(1, Math.floor(data.length / elementsPerTarget));
      for (let i = 0; i < data.length; i += step) {
        const original = data[i] ?? 0;
        const evaluate = (value: number): number => {
          data[i] = value;
          tidy(() => {
            target.copy_(tensor(data, { shape }));
          });
          return noGrad(() => tidy(() => loss().item()));
        };
        const numeric = (evaluate(original + h) - evaluate(original - h)) / (2 * h);
        evaluate(original);
        const analyticValue = gradient[i] ?? NaN;
        const error = Math.abs(numeric - analyticValue) / Math.max(1, Math.abs(numeric));
        assert.ok(
          error < 1e-6,
          `${label}: target ${index} element ${i}: numeric ${numeric} vs analytic ${analyticValue}`,
        );
      }
    });
  });
}

const input = (shape: number[]): Tensor => randn(shape, { dtype: 'float64' }).requiresGrad_(true);

test('Linear, Conv2d and LayerNorm gradients match finite differences', async () => {
  await noLeaks(() => {
    manualSeed(1);
    const linear = new Linear(4, 3).to('float64');
    const conv = new Conv2d(2, 3, 3, { padding: 1, stride: 2 }).to('float64');
    const norm = new LayerNorm(5).to('float64');
    tidy(() => {
      norm.weight?.copy_(randn([5]));
      const x = input([2, 4]);
      checkGradients('Linear', () => linear.forward(x), [x, linear.weight, linear.bias as Tensor]);
      const image = input([1, 2, 5, 5]);
      checkGradients('Conv2d', () => conv.forward(image), [image, conv.weight, conv.bias as Tensor]);
      const rows = input([3, 5]);
      checkGradients('LayerNorm', () => norm.forward(rows), [rows, norm.weight as Tensor, norm.bias as Tensor]);
    });
    for (const m of [linear, conv, norm]) m.dispose();
  });
});

test('GRU, MultiheadAttention and spectral-norm gradients match finite differences', async () => {
  await noLeaks(() => {
    manualSeed(2);
    const gru = new GRU(3, 4).to('float64');
    const attention = new MultiheadAttention(4, 2).to('float64');
    const normalized = spectralNorm(new Linear(3, 2), { powerIterations: 5 }).to('float64');
    tidy(() => {
      normalized.forward(randn([1, 3], { dtype: 'float64' })); // refines u and v once
      normalized.eval(); // then they stay fixed, so the loss is a function of the weight alone
      const sequence = input([3, 2, 3]);
      const [weightIh, weightHh] = gru.parameters();
      checkGradients('GRU', () => gru.forward(sequence)[0], [sequence, weightIh as Tensor, weightHh as Tensor]);
      const x = input([3, 2, 4]);
      const mask = causalMask(3);
      attention.inProjBias?.copy_(randn([12]));
      checkGradients('MultiheadAttention', () => attention.forward(x, x, x, { attnMask: mask }), [
        x,
        attention.inProjWeight,
        attention.outProj.weight,
      ]);
      const rows = input([2, 3]);
      checkGradients('spectral norm', () => normalized.forward(rows), [rows, normalized.weight]);
    });
    for (const m of [gru, attention, normalized]) m.dispose();
  });
});
