// Inception score and Fréchet distance sanity: IS of a uniform one-hot set is the number of classes,
// of a constant set 1; FD of a set with itself is 0 and of a shifted copy the squared shift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inceptionScore } from '../../src/eval/inception.js';
import { frechetDistance } from '../../src/eval/distribution.js';
import { dispose, randn, tensor, tidy } from '../../src/tensor/index.js';
import { withoutLeaks } from './helpers.js';

test('inception score: uniform one-hot → number of classes, constant → 1, confident-but-collapsed → 1', async () => {
  await withoutLeaks(() => {
    const classes = 10;
    const labels = tensor(BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(i % classes)));
    const uniform = tidy(() => labels.oneHot(classes).float());
    const constant = tidy(() =>
      tensor(
        Float32Array.from({ length: 1000 * classes }, () => 1 / classes),
        { shape: [1000, classes] },
      ),
    );
    const collapsed = tidy(() =>
      tensor(BigInt64Array.from({ length: 1000 }, () => 3n))
        .oneHot(classes)
        .float(),
    );
    const score = inceptionScore(uniform, 10);
    assert.ok(Math.abs(score.mean - classes) < 1e-9, `uniform one-hot IS ${score.mean}`);
    assert.ok(score.std < 1e-9);
    assert.ok(Math.abs(inceptionScore(constant).mean - 1) < 1e-9);
    assert.ok(Math.abs(inceptionScore(collapsed).mean - 1) < 1e-9);
    // half the classes, uniformly: IS = 5
    const half = tidy(() =>
      tensor(BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(i % 5)))
        .oneHot(classes)
        .float(),
    );
    assert.ok(Math.abs(inceptionScore(half).mean - 5) < 1e-9);
    assert.throws(() => inceptionScore(uniform, 0), /splits/);
    dispose([labels, uniform, constant, collapsed, half]);
  });
});

test('Fréchet distance: 0 for a set with itself, the squared mean shift for a shifted copy, grows with spread', async () => {
  await withoutLeaks(() => {
    const a = randn([500, 8]);
    const shifted = tidy(() => a.add(tensor(Float32Array.from([3, 0, 0, 0, 0, 0, 0, 4]))));
    const wider = tidy(() => a.mul(2));
    assert.ok(frechetDistance(a, a) < 1e-6);
    assert.ok(Math.abs(frechetDistance(a, shifted) - 25) < 1e-3, `shift FD ${frechetDistance(a, shifted)}`);
    // Σ2 = 4Σ1: Tr(Σ + 4Σ - 2·2Σ) = Tr(Σ) ≈ 8 for unit Gaussians
    const spread = frechetDistance(a, wider);
    assert.ok(spread > 6 && spread < 10, `spread FD ${spread}`);
    dispose([a, shifted, wider]);
  });
});
