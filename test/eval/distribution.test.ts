// FID and KID against values computed by hand (plain JS loops, closed forms of Gaussians).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, type Tensor, randn, tensor, tidy } from '../../src/tensor/index.js';
import {
  featureStatistics,
  frechetDistance,
  kernelInceptionDistance,
  polynomialMmd,
  splitHalves,
  splitReal,
} from '../../src/eval/distribution.js';
import { withoutLeaks } from './helpers.js';

type Rows = number[][];

function seededRows(
  count: number,
  dim: number,
  seed: number,
  transform: (row: number[]) => number[] = (row) => row,
): Rows {
  // a small LCG so the hand computations below see exactly the numbers the tensors hold
  let state = seed * 7919 + 17;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from({ length: count }, () => transform(Array.from({ length: dim }, () => next() * 2 - 1)));
}

const toTensor = (rows: Rows): Tensor => tensor(rows, { dtype: 'float64' });

function meanAndCovariance(rows: Rows): { mean: number[]; covariance: number[][] } {
  const n = rows.length;
  const dim = rows[0]?.length ?? 0;
  const mean = Array.from({ length: dim }, (_, j) => rows.reduce((sum, row) => sum + (row[j] as number), 0) / n);
  const covariance = Array.from({ length: dim }, (_, a) =>
    Array.from(
      { length: dim },
      (_, b) =>
        rows.reduce(
          (sum, row) => sum + ((row[a] as number) - (mean[a] as number)) * ((row[b] as number) - (mean[b] as number)),
          0,
        ) /
        (n - 1),
    ),
  );
  return { mean, covariance };
}

/** FID of 2-D sets by hand: Tr√(Σ1Σ2) = √(tr(Σ1Σ2) + 2√det(Σ1Σ2)) for 2×2 PSD products. */
function handFid2d(a: Rows, b: Rows): number {
  const { mean: m1, covariance: s1 } = meanAndCovariance(a);
  const { mean: m2, covariance: s2 } = meanAndCovariance(b);
  const at = (m: number[][], i: number, j: number): number => m[i]?.[j] as number;
  const product = [0, 1].map((i) => [0, 1].map((j) => at(s1, i, 0) * at(s2, 0, j) + at(s1, i, 1) * at(s2, 1, j)));
  const traceProduct = at(product, 0, 0) + at(product, 1, 1);
  const det = (m: number[][]): number => at(m, 0, 0) * at(m, 1, 1) - at(m, 0, 1) * at(m, 1, 0);
  const traceRoot = Math.sqrt(traceProduct + 2 * Math.sqrt(det(s1) * det(s2)));
  const meanTerm = ((m1[0] as number) - (m2[0] as number)) ** 2 + ((m1[1] as number) - (m2[1] as number)) ** 2;
  return meanTerm + at(s1, 0, 0) + at(s1, 1, 1) + at(s2, 0, 0) + at(s2, 1, 1) - 2 * traceRoot;
}

function handMmd(x: Rows, y: Rows): number {
  const dim = x[0]?.length ?? 1;
  const k = (p: number[], q: number[]): number =>
    (p.reduce((sum, value, i) => sum + value * (q[i] as number), 0) / dim + 1) ** 3;
  let xx = 0;
  for (let i = 0; i < x.length; i++)
    for (let j = 0; j < x.length; j++) if (i !== j) xx += k(x[i] as number[], x[j] as number[]);
  let yy = 0;
  for (let i = 0; i < y.length; i++)
    for (let j = 0; j < y.length; j++) if (i !== j) yy += k(y[i] as number[], y[j] as number[]);
  let xy = 0;
  for (const p of x) for (const q of y) xy += k(p, q);
  return xx / (x.length * (x.length - 1)) + yy / (y.length * (y.length - 1)) - (2 * xy) / (x.length * y.length);
}

function assertNear(actual: number, expected: number, tolerance: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: got ${actual}, expected ${expected} ± ${tolerance}`);
}

test('FID of a set against itself is 0', async () => {
  await withoutLeaks(() => {
    const features = toTensor(seededRows(200, 8, 1));
    assertNear(frechetDistance(features, features), 0, 1e-8, 'FID(x, x)');
    const float32 = features.float();
    assertNear(frechetDistance(float32, float32), 0, 1e-5, 'FID(x, x) float32');
    features.dispose();
    float32.dispose();
  });
});

test('FID of 1-D sets equals (μ1-μ2)² + σ1² + σ2² - 2σ1σ2 from the sample statistics', async () => {
  await withoutLeaks(() => {
    const a = seededRows(50, 1, 2, ([v]) => [(v as number) * 2 + 0.5]);
    const b = seededRows(70, 1, 3, ([v]) => [(v as number) * 0.7 - 1]);
    const {
      mean: [m1],
      covariance: [[v1]],
    } = meanAndCovariance(a) as { mean: [number]; covariance: [[number]] };
    const {
      mean: [m2],
      covariance: [[v2]],
    } = meanAndCovariance(b) as { mean: [number]; covariance: [[number]] };
    const expected = (m1 - m2) ** 2 + v1 + v2 - 2 * Math.sqrt(v1 * v2);
    const [x, y] = [toTensor(a), toTensor(b)];
    assertNear(frechetDistance(x, y), expected, 1e-9 * Math.max(1, expected), 'FID 1-D');
    assertNear(frechetDistance(y, x), expected, 1e-9 * Math.max(1, expected), 'FID 1-D is symmetric');
    x.dispose();
    y.dispose();
  });
});

test('FID of 2-D sets matches the 2×2 closed form by hand', async () => {
  await withoutLeaks(() => {
    // correlated and anisotropic, so Σ1Σ2 is not symmetric
    const a = seededRows(40, 2, 4, ([u, v]) => [(u as number) + 0.8 * (v as number), 0.5 * (v as number) + 0.3]);
    const b = seededRows(60, 2, 5, ([u, v]) => [2 * (u as number) - 0.2, (v as number) - 0.6 * (u as number)]);
    const expected = handFid2d(a, b);
    const [x, y] = [toTensor(a), toTensor(b)];
    assertNear(frechetDistance(x, y), expected, 1e-9 * Math.max(1, expected), 'FID 2-D');
    const statistics = featureStatistics(x);
    const { mean, covariance } = meanAndCovariance(a);
    assert.deepEqual(
      statistics.mean.toFlatArray().map((v) => v.toFixed(12)),
      mean.map((v) => v.toFixed(12)),
    );
    assert.deepEqual(
      statistics.covariance.toFlatArray().map((v) => v.toFixed(12)),
      covariance.flat().map((v) => v.toFixed(12)),
    );
    for (const t of [x, y, statistics.mean, statistics.covariance]) t.dispose();
  });
});

test('FID of large Gaussian samples approaches the population closed form', async () => {
  await withoutLeaks(() => {
    const generator = new Generator(11);
    // N(0, I) vs N((1, -1), diag(4, 9)): |Δμ|² + tr(I) + tr(Σ2) - 2 tr(Σ2^½) = 2 + 2 + 13 - 2·5 = 7
    const fid = tidy(() => {
      const a = randn([20000, 2], { generator, dtype: 'float64' });
      const b = randn([20000, 2], { generator, dtype: 'float64' })
        .mul(tensor([2, 3], { dtype: 'float64' }))
        .add(tensor([1, -1], { dtype: 'float64' }));
      return frechetDistance(a, b);
    });
    generator.dispose();
    assertNear(fid, 7, 0.25, 'population FID');
  });
});

test('polynomial MMD² equals the unbiased estimate computed with plain loops', async () => {
  await withoutLeaks(() => {
    const x = seededRows(6, 3, 6);
    const y = seededRows(5, 3, 7, (row) => row.map((v) => v * 1.5 + 0.2));
    const [a, b] = [toTensor(x), toTensor(y)];
    assertNear(polynomialMmd(a, b), handMmd(x, y), 1e-12, 'MMD²');
    assertNear(polynomialMmd(a, a), handMmd(x, x), 1e-12, 'MMD²(x, x)');
    a.dispose();
    b.dispose();
  });
});

test('KID with full-size subsets equals the hand value, with zero spread', async () => {
  await withoutLeaks(() => {
    const x = seededRows(6, 3, 8);
    const y = seededRows(6, 3, 9, (row) => row.map((v) => v - 0.4));
    const [a, b] = [toTensor(x), toTensor(y)];
    const kid = kernelInceptionDistance(a, b, { subsets: 5, seed: 3 });
    assert.equal(kid.subsetSize, 6);
    assertNear(kid.mean, handMmd(x, y), 1e-12, 'KID mean');
    assertNear(kid.std, 0, 1e-12, 'KID std');
    a.dispose();
    b.dispose();
  });
});

test('KID over random subsets averages the MMD² of every subset pair', async () => {
  await withoutLeaks(() => {
    const x = seededRows(5, 2, 10);
    const y = seededRows(5, 2, 12, (row) => row.map((v) => v * 0.5 + 0.3));
    // every (4 of 5) × (4 of 5) pair is equally likely: the expectation is their plain average
    const dropOne = (rows: Rows): Rows[] => rows.map((_, skip) => rows.filter((__, index) => index !== skip));
    const values = dropOne(x).flatMap((xs) => dropOne(y).map((ys) => handMmd(xs, ys)));
    const expected = values.reduce((sum, value) => sum + value, 0) / values.length;
    const spread = Math.sqrt(values.reduce((sum, value) => sum + (value - expected) ** 2, 0) / values.length);
    const [a, b] = [toTensor(x), toTensor(y)];
    const kid = kernelInceptionDistance(a, b, { subsets: 2000, subsetSize: 4, seed: 1 });
    assertNear(kid.mean, expected, (4 * spread) / Math.sqrt(2000), 'KID mean over subsets');
    assertNear(kid.std, spread, 0.1 * spread, 'KID std over subsets');
    const again = kernelInceptionDistance(a, b, { subsets: 2000, subsetSize: 4, seed: 1 });
    assert.equal(again.mean, kid.mean, 'same seed, same KID');
    a.dispose();
    b.dispose();
  });
});

test('splitHalves gives two disjoint seeded halves', async () => {
  await withoutLeaks(() => {
    const features = tensor(
      Array.from({ length: 11 }, (_, i) => [i]),
      { dtype: 'float64' },
    );
    const [first, second] = splitHalves(features, 4);
    assert.deepEqual(first.shape, [5, 1]);
    assert.deepEqual(second.shape, [5, 1]);
    const values = [...first.toFlatArray(), ...second.toFlatArray()];
    assert.equal(new Set(values).size, 10, 'halves share no row');
    const [again, againSecond] = splitHalves(features, 4);
    assert.deepEqual(again.toFlatArray(), first.toFlatArray());
    for (const t of [features, first, second, again, againSecond]) t.dispose();
  });
});

test('splitReal takes n rows (at most half) against all the others, disjoint and seeded', async () => {
  await withoutLeaks(() => {
    const features = tensor(
      Array.from({ length: 12 }, (_, i) => [i]),
      { dtype: 'float64' },
    );
    const [few, rest] = splitReal(features, 3, 7);
    assert.deepEqual([few.shape[0], rest.shape[0]], [3, 9]);
    assert.equal(new Set([...few.toFlatArray(), ...rest.toFlatArray()]).size, 12, 'every row once');
    const [capped, other] = splitReal(features, 100, 7);
    assert.deepEqual([capped.shape[0], other.shape[0]], [6, 6], 'never more than half');
    for (const t of [features, few, rest, capped, other]) t.dispose();
  });
});

test('distances reject features of the wrong shape', async () => {
  await withoutLeaks(() => {
    const a = toTensor(seededRows(10, 3, 1));
    const b = toTensor(seededRows(10, 4, 2));
    const flat = tensor([1, 2, 3]);
    assert.throws(() => frechetDistance(a, b), /feature dims differ: 3 vs 4/);
    assert.throws(() => kernelInceptionDistance(a, b), /feature dims differ/);
    assert.throws(() => frechetDistance(flat, flat), /must be \[count, dim\]/);
    assert.throws(() => kernelInceptionDistance(a, a, { subsets: 0 }), /subsets must be a positive integer/);
    for (const t of [a, b, flat]) t.dispose();
  });
});
