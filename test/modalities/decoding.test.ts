// Decoding: beam search finds the exact best sequence of a hand-built scorer (checked against brute
// force), greedy falls into the garden path that beam search avoids, sampling is seeded, and the
// attention decoder's incremental steps agree with teacher forcing without leaking tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type StepModel,
  averageStepModels,
  beamSearch,
  greedyDecode,
  lengthPenaltyOf,
  sampleDecode,
} from '../../src/modalities/text/decoding.js';
import { AttentionDecoder } from '../../src/modalities/text/attention-decoder.js';
import { manualSeed, memory, randn, tensor, tidy } from '../../src/tensor/index.js';
import { mixSeed } from '../../src/data/random.js';

const BOS = 1;
const EOS = 2;
const VOCABULARY = 6; // 0 pad, 1 bos, 2 eos, 3..5 words

/** A scorer whose next-token distribution is a fixed function of the prefix; the state is the prefixes. */
function tableScorer(next: (prefix: number[]) => number[]): StepModel<number[][]> {
  return {
    vocabularySize: VOCABULARY,
    step: (state, tokens) => {
      const prefixes = state.map((prefix, row) => (tokens[row] === BOS ? prefix : [...prefix, tokens[row] as number]));
      const logProbs = new Float32Array(prefixes.length * VOCABULARY).fill(Number.NEGATIVE_INFINITY);
      prefixes.forEach((prefix, row) =>
        next(prefix).forEach((p, v) => {
          logProbs[row * VOCABULARY + v] = Math.log(p);
        }),
      );
      return { logProbs, state: prefixes };
    },
    select: (state, rows) => Array.from(rows, (row) => state[row] as number[]),
    release: () => {},
  };
}

/** Pseudo-random distributions over eos and the three words, fixed by the prefix. */
const hashed =
  (seed: number) =>
  (prefix: number[]): number[] => {
    const weights = [0, 0, ...[2, 3, 4, 5].map((v) => 0.05 + (mixSeed(seed, v, ...prefix) % 1000) / 1000)];
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    return weights.map((weight) => weight / total);
  };

/** Every sequence (ended by eos within maxLength, or cut at maxLength) with its log-probability. */
function bruteForce(
  next: (prefix: number[]) => number[],
  maxLength: number,
  alpha: number,
): { tokens: number[]; score: number } {
  let best = { tokens: [] as number[], score: Number.NEGATIVE_INFINITY };
  const visit = (prefix: number[], logProb: number): void => {
    const probabilities = next(prefix);
    for (let v = 2; v < VOCABULARY; v++) {
      const total = logProb + Math.log(Math.fround(probabilities[v] as number));
      const ended = v === EOS;
      const tokens = ended ? prefix : [...prefix, v];
      if (ended || tokens.length === maxLength) {
        const score = total / lengthPenaltyOf(tokens.length + (ended ? 1 : 0), alpha);
        if (score > best.score) best = { tokens, score };
      } else visit(tokens, total);
    }
  };
  visit([], 0);
  return best;
}

test('beam search wide enough returns exactly the best sequence that brute force finds', () => {
  for (const seed of [1, 2, 3]) {
    for (const alpha of [0, 0.6]) {
      const next = hashed(seed);
      const expected = bruteForce(next, 4, alpha);
      const [results] = beamSearch(tableScorer(next), [[]], 1, {
        bosId: BOS,
        eosId: EOS,
        maxLength: 4,
        width: 64,
        lengthPenalty: alpha,
      });
      const best = results?.[0];
      assert.deepEqual(best?.tokens, expected.tokens, `seed ${seed}, α ${alpha}`);
      assert.ok(Math.abs((best?.score ?? 0) - expected.score) < 1e-5, `score ${best?.score} vs ${expected.score}`);
    }
  }
});

test('an ensemble decodes the normalised product of its members: beam search finds its exact best sequence', () => {
  const members = [hashed(1), hashed(2)];
  // the product of experts: the geometric mean of the members' distributions, renormalised
  const product = (prefix: number[]): number[] => {
    const mean = members[0]!(prefix).map((p, v) => Math.sqrt(p * (members[1]!(prefix)[v] as number)));
    const total = mean.reduce((sum, p) => sum + p, 0);
    return mean.map((p) => p / total);
  };
  const ensemble = averageStepModels(members.map((next) => tableScorer(next)));
  const { logProbs } = ensemble.step([[[]], [[]]], Int32Array.of(BOS));
  const expected = product([]);
  for (let v = 2; v < VOCABULARY; v++)
    assert.ok(Math.abs(Math.exp(logProbs[v] as number) - (expected[v] as number)) < 1e-5, `word ${v}`);
  for (const alpha of [0, 0.6, 3]) {
    const best = bruteForce(product, 4, alpha);
    const [results] = beamSearch(ensemble, [[[]], [[]]], 1, {
      bosId: BOS,
      eosId: EOS,
      maxLength: 4,
      width: 64,
      lengthPenalty: alpha,
    });
    assert.deepEqual(results?.[0]?.tokens, best.tokens, `α ${alpha}`);
    assert.ok(
      Math.abs((results?.[0]?.score ?? 0) - best.score) < 1e-4,
      `score ${results?.[0]?.score} vs ${best.score}`,
    );
  }
  // the product is not either member's distribution, so the test tells an ensemble from its first member
  for (const next of members) assert.ok(next([]).some((p, v) => Math.abs(p - (expected[v] as number)) > 0.01));
  assert.throws(
    () => averageStepModels([tableScorer(hashed(1)), { ...tableScorer(hashed(2)), vocabularySize: 7 }]),
    /share a vocabulary: 7 tokens against 6/,
  );
  assert.throws(() => averageStepModels([]), /at least one member/);
});

test('greedy takes the likelier first word; a beam of two finds the better whole sentence', () => {
  // "3 …" starts likelier (0.6) but every continuation is spread thin; "4 eos" has probability 0.36
  const next = (prefix: number[]): number[] => {
    if (prefix.length === 0) return [0, 0, 0, 0.6, 0.4, 0];
    if (prefix[0] === 4) return [0, 0, 0.9, 0.05, 0.05, 0];
    return prefix.length >= 3 ? [0, 0, 1, 0, 0, 0] : [0, 0, 0.3, 0.35, 0.35, 0];
  };
  const settings = { bosId: BOS, eosId: EOS, maxLength: 5 };
  const [greedy] = greedyDecode(tableScorer(next), [[]], 1, settings);
  assert.deepEqual(greedy?.tokens, [3, 3, 3]);
  const [beams] = beamSearch(tableScorer(next), [[]], 1, { ...settings, width: 2 });
  assert.deepEqual(beams?.[0]?.tokens, [4]);
  assert.ok(Math.abs((beams?.[0]?.logProb ?? 0) - Math.log(0.36)) < 1e-6);
  assert.equal(beams?.length, 2, 'width 2 gives the two best');
  assert.ok((beams?.[0]?.score ?? 0) >= (beams?.[1]?.score ?? 0));
  // several inputs at once: each keeps its own beams
  const both = beamSearch(tableScorer(next), [[], []], 2, { ...settings, width: 2 });
  assert.deepEqual(
    both.map((list) => list[0]?.tokens),
    [[4], [4]],
  );
  assert.throws(
    () => beamSearch(tableScorer(next), [[]], 1, { ...settings, width: 0 }),
    /beam width must be a positive integer/,
  );
});

test('sampling is seeded, top-k 1 is greedy, and settings are checked', () => {
  const next = hashed(7);
  const settings = { bosId: BOS, eosId: EOS, maxLength: 6 };
  const draw = (seed: number, extra: object = {}) =>
    sampleDecode(tableScorer(next), [[], [], []], 3, { ...settings, seed, ...extra }).map((result) => result.tokens);
  assert.deepEqual(draw(5), draw(5));
  assert.notDeepEqual(
    [...draw(5), ...draw(5, { temperature: 2 })].join('|'),
    [...draw(6), ...draw(6, { temperature: 2 })].join('|'),
  );
  const greedy = greedyDecode(tableScorer(next), [[]], 1, settings)[0]?.tokens;
  assert.deepEqual(draw(9, { topK: 1 })[0], greedy);
  assert.deepEqual(draw(9, { topP: 1e-6 })[0], greedy, 'a tiny nucleus keeps only the top token');
  assert.throws(() => draw(1, { temperature: 0 }), /temperature must be a positive number/);
  assert.throws(() => draw(1, { topP: 1.5 }), /topP must be in/);
});

test('the attention decoder: incremental steps give the teacher-forced log-probabilities, and nothing leaks', () => {
  manualSeed(3);
  const decoder = new AttentionDecoder({ vocabularySize: 9, memoryDim: 12, embeddingDim: 8, hiddenSize: 16 });
  decoder.eval();
  const before = memory().tensors;
  const features = randn([2, 5, 12]);
  const tokens = [
    [1, 4, 5, 6],
    [1, 7, 3, 3],
  ];
  const teacher = tidy(() =>
    decoder
      .forward(features, tensor(tokens, { dtype: 'int64' }))
      .logSoftmax(2)
      .toArray(),
  ) as number[][][];
  const { model, initial } = decoder.startDecoding(features);
  let state = model.select(initial, Int32Array.from([0, 1]));
  for (let position = 0; position < 4; position++) {
    const { logProbs, state: nextState } = model.step(
      state,
      Int32Array.from(tokens.map((row) => row[position] as number)),
    );
    model.release(state);
    state = nextState;
    for (let row = 0; row < 2; row++) {
      for (let v = 0; v < 9; v++) {
        const expected = teacher[row]?.[position]?.[v] as number;
        assert.ok(
          Math.abs((logProbs[row * 9 + v] as number) - expected) < 1e-5,
          `row ${row} position ${position} token ${v}`,
        );
      }
    }
  }
  model.release(state);
  model.release(initial);
  const beams = (() => {
    const started = decoder.startDecoding(features);
    try {
      return beamSearch(started.model, started.initial, 2, { bosId: 1, eosId: 2, maxLength: 6, width: 3 });
    } finally {
      started.model.release(started.initial);
    }
  })();
  assert.equal(beams.length, 2);
  features.dispose();
  assert.equal(memory().tensors, before - 0, 'decoding leaked tensors');
  decoder.dispose();
});
