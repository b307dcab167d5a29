// Seeded randomness: same seed, same numbers, for every random op; state save/restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  rand,
  randn,
  randint,
  randperm,
  normal,
  multinomial,
  bernoulli,
  tensor,
  ones,
  zeros,
  uniform_,
  normal_,
  orthogonal_,
  eye,
  manualSeed,
  defaultGeneratorState,
  setDefaultGeneratorState,
  Generator,
  F,
  type Tensor,
} from '../../src/tensor/index.js';
import { noLeak } from './helpers.js';

type Draw = (generator?: Generator) => Tensor;
const draws: Record<string, Draw> = {
  rand: (generator) => rand([50], { generator }),
  randFloat64: (generator) => rand([20], { generator, dtype: 'float64' }),
  randn: (generator) => randn([4, 25], { generator }),
  randint: (generator) => randint(-5, 5, [50], { generator }),
  randintInt32: (generator) => randint(0, 3, [50], { generator, dtype: 'int32' }),
  randperm: (generator) => randperm(30, generator),
  normal: (generator) => normal(3, 0.5, [50], { generator }),
  multinomial: (generator) =>
    multinomial(
      tensor([
        [0.1, 0.2, 0.7],
        [5, 1, 0],
      ]),
      20,
      true,
      generator,
    ),
  multinomialNoReplacement: (generator) => multinomial(ones([4, 10]), 10, false, generator),
  bernoulli: (generator) => bernoulli(tensor(Array.from({ length: 50 }, (_, k) => k / 50)), generator),
  uniform_: (generator) => uniform_(zeros([50]), -2, 2, generator),
  normal_: (generator) => normal_(zeros([50]), 1, 2, generator),
  orthogonal_: (generator) => orthogonal_(zeros([6, 4]), 1, generator),
};

test('same seed gives identical tensors for every random op; different seeds differ', () => {
  noLeak(() => {
    for (const [name, draw] of Object.entries(draws)) {
      const [first, second, other] = [new Generator(42), new Generator(42), new Generator(43)];
      const a = draw(first).toFlatArray();
      const b = draw(second).toFlatArray();
      const c = draw(other).toFlatArray();
      assert.deepEqual(a, b, `${name}: same seed`);
      assert.notDeepEqual(a, c, `${name}: different seeds`);
      // the stream moves on: a second draw from the same generator differs from the first
      assert.notDeepEqual(draw(first).toFlatArray(), a, `${name}: second draw`);
      for (const generator of [first, second, other]) generator.dispose();
    }
  });
});

test('manualSeed makes the default generator (and so dropout) reproducible', () => {
  noLeak(() => {
    for (const [name, draw] of Object.entries(draws)) {
      manualSeed(7);
      const a = draw().toFlatArray();
      manualSeed(7);
      assert.deepEqual(draw().toFlatArray(), a, `${name} with the default generator`);
    }
    manualSeed(5);
    const first = F.dropout(ones([200]), 0.5, true).toFlatArray();
    manualSeed(5);
    const again = F.dropout(ones([200]), 0.5, true).toFlatArray();
    manualSeed(6);
    const other = F.dropout(ones([200]), 0.5, true).toFlatArray();
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
  });
});

test('generator state save/restore reproduces the continuation', () => {
  noLeak(() => {
    const generator = new Generator(1234);
    rand([10], { generator });
    const state = generator.getState();
    assert.equal(state.dtype, 'uint8');
    const continuation = [randn([8], { generator }), randint(0, 100, [8], { generator }), rand([3], { generator })].map(
      (t) => t.toFlatArray(),
    );
    generator.setState(state);
    const replay = [randn([8], { generator }), randint(0, 100, [8], { generator }), rand([3], { generator })].map((t) =>
      t.toFlatArray(),
    );
    assert.deepEqual(replay, continuation);
    // a state restored into a fresh generator with another seed continues the same way
    const fresh = new Generator(99);
    fresh.setState(state);
    assert.deepEqual(randn([8], { generator: fresh }).toFlatArray(), continuation[0]);
    generator.dispose();
    fresh.dispose();

    manualSeed(3);
    randn([5]);
    const saved = defaultGeneratorState();
    const expected = F.dropout(ones([64]), 0.5, true).toFlatArray();
    randn([100]);
    setDefaultGeneratorState(saved);
    assert.deepEqual(F.dropout(ones([64]), 0.5, true).toFlatArray(), expected);
  });
});

test('random values have the right range, dtype and rough distribution', () => {
  noLeak(() => {
    const generator = new Generator(5);
    const uniform = rand([20000], { generator });
    assert.equal(uniform.dtype, 'float32');
    assert.ok(uniform.min().item() >= 0 && uniform.max().item() < 1);
    assert.ok(Math.abs(uniform.mean().item() - 0.5) < 0.01);
    const gaussian = normal(3, 2, [20000], { generator });
    assert.ok(Math.abs(gaussian.mean().item() - 3) < 0.05);
    assert.ok(Math.abs(gaussian.std().item() - 2) < 0.05);
    const ints = randint(-2, 3, [5000], { generator });
    assert.equal(ints.dtype, 'int64');
    assert.deepEqual([ints.min().item(), ints.max().item()], [-2, 2]);
    assert.deepEqual(randperm(6, generator).sort()[0].toFlatArray(), [0, 1, 2, 3, 4, 5]);
    const counts = multinomial(tensor([[0, 1, 3]]), 4000, true, generator)
      .oneHot(3)
      .sum([0, 1])
      .toFlatArray();
    assert.equal(counts[0], 0);
    assert.ok(Math.abs((counts[2] ?? 0) / 4000 - 0.75) < 0.03, `class 2 drawn ${counts[2]} of 4000`);
    const coin = bernoulli(tensor([0, 1, 0.5]).expand(4000, 3), generator);
    assert.deepEqual(coin.sum(0).toFlatArray().slice(0, 2), [0, 4000]);
    assert.ok(Math.abs(coin.mean(0).toFlatArray()[2]! - 0.5) < 0.03);
    const q = orthogonal_(zeros([5, 3]), 1, generator);
    assert.ok(q.T.matmul(q).sub(eye(3)).abs().max().item() < 1e-5, 'orthogonal columns');
    generator.dispose();
    assert.throws(() => new Generator(-1), /non-negative integer/);
    assert.throws(() => manualSeed(1.5), /manualSeed needs a non-negative integer seed, got 1.5/);
    const wrong = tensor([1, 2, 3], { dtype: 'uint8' });
    assert.throws(() => setDefaultGeneratorState(wrong), /generatorSetState: .*(wrong size|Expected)/);
    assert.throws(() => rand([2], { generator }), /generator was disposed/);
  });
});
