// Consensus reranking: its two similarities match hand-computed values, a cold temperature keeps the
// beam's likeliest candidate, a warm one picks the candidate the list agrees on, and searchText with
// `consensus` returns exactly that candidate of the beam's N best.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consensusChoice, ngramCosine, sentenceBleu } from '../../src/modalities/text/consensus.js';
import { type StepModel, beamSearch } from '../../src/modalities/text/decoding.js';
import { searchText } from '../../src/modalities/text/generate.js';
import { Tokenizer } from '../../src/modalities/text/tokenizer.js';

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} vs ${expected}`);

test('sentence BLEU-4 and the n-gram cosine match hand-computed values', () => {
  close(sentenceBleu([1, 2, 3], [1, 2, 3]), 1, 'identical');
  // precisions (2+1)/(3+1), (1+1)/(2+1), (0+1)/(1+1), (0+1)/(0+1); equal lengths, no brevity penalty
  close(sentenceBleu([1, 2, 3], [1, 2, 4]), (((((3 / 4) * 2) / 3) * 1) / 2) ** 0.25, 'one word differs');
  // a shorter hypothesis pays exp(1 - 4/2) on top of its precisions (2+1)/(2+1), (1+1)/(1+1), 1, 1
  close(sentenceBleu([1, 2], [1, 2, 3, 4]), Math.exp(1 - 4 / 2), 'brevity');
  // unigram cosine 2/3, bigram 1/2, no shared trigram, no 4-grams; averaged over the four orders
  close(ngramCosine([1, 2, 3], [1, 2, 4]), (2 / 3 + 1 / 2) / 4, 'cosine');
  close(ngramCosine([5, 6, 7, 8], [5, 6, 7, 8]), 1, 'identical cosine');
  // unigram "1" once against seven times: clipped dot min(1, 7)·7 over norms 1·7 = 1, as in CIDEr-D;
  // the length difference of 6 costs exp(-36 / 72); the single word has no 2-, 3- or 4-grams
  close(ngramCosine([1], [1, 1, 1, 1, 1, 1, 1]), Math.exp(-36 / 72) / 4, 'length penalty');
});

test('a cold temperature keeps the likeliest candidate; a warm one the candidate the others agree on', () => {
  const candidates = [
    { tokens: [9, 9], score: -1 }, // the beam's best, an outlier
    { tokens: [1, 2, 3], score: -1.5 },
    { tokens: [1, 2, 4], score: -1.6 },
    { tokens: [1, 2, 3, 5], score: -1.7 },
  ];
  assert.equal(consensusChoice(candidates, { temperature: 0.01 }), 0);
  assert.equal(consensusChoice(candidates, { temperature: 2 }), 1, 'shares the most with the rest of the list');
  assert.equal(consensusChoice([candidates[2]!], { temperature: 2 }), 0);
  // identical candidates tie; the likelier (earlier) one is kept
  assert.equal(
    consensusChoice(
      [
        { tokens: [3], score: -1 },
        { tokens: [3], score: -1 },
      ],
      { temperature: 1 },
    ),
    0,
  );
  assert.throws(() => consensusChoice(candidates, { temperature: 0 }), /temperature must be a positive number, got 0/);
  assert.throws(() => consensusChoice([], { temperature: 1 }), /at least one candidate/);
});

test("searchText with consensus returns the chosen one of the beam's N best; 0 and 1 leave beam search alone", () => {
  const tokenizer = Tokenizer.fromCorpus(['red heart', 'red star', 'blue heart', 'green moon'], { level: 'word' });
  const vocabulary = tokenizer.vocabularySize;
  // a scorer whose distribution depends on the prefix length only: a fixed preference order per position
  const steps: StepModel<number[]> = {
    vocabularySize: vocabulary,
    step: (state, tokens) => {
      const logProbs = new Float32Array(tokens.length * vocabulary);
      state.forEach((length, row) => {
        const weights = Array.from({ length: vocabulary }, (_, v) =>
          v < 2 || v === 3 ? 0 : length >= 2 && v === tokenizer.eosId ? 50 : 1 + ((v * (length + 3)) % 5),
        );
        const total = weights.reduce((sum, weight) => sum + weight, 0);
        weights.forEach((weight, v) => {
          logProbs[row * vocabulary + v] = Math.log(weight / total);
        });
      });
      return { logProbs, state: state.map((length) => length + 1) };
    },
    select: (state, rows) => Array.from(rows, (row) => state[row] as number),
    release: () => {},
  };
  const settings = { bosId: tokenizer.bosId, eosId: tokenizer.eosId, maxLength: 4 };
  const lists = beamSearch(steps, [0, 0], 2, { ...settings, width: 6, lengthPenalty: 0.6 });
  const chosen = searchText(steps, [0, 0], 2, tokenizer, {
    beam: 2,
    consensus: 6,
    consensusTemperature: 5,
    maxLength: 4,
  });
  chosen.forEach((text, row) => {
    const list = lists[row]!;
    assert.deepEqual(text.tokens, list[consensusChoice(list, { temperature: 5 })]!.tokens);
  });
  const plain = searchText(steps, [0, 0], 2, tokenizer, { beam: 6, maxLength: 4 });
  assert.notDeepEqual(chosen[0]?.tokens, plain[0]?.tokens, "this scorer's likeliest sequence is not the consensus");
  for (const consensus of [0, 1])
    assert.deepEqual(searchText(steps, [0, 0], 2, tokenizer, { beam: 6, consensus, maxLength: 4 }), plain);
  assert.deepEqual(
    plain.map((text) => text.tokens),
    lists.map((list) => list[0]!.tokens),
  );
  assert.throws(
    () => searchText(steps, [0], 1, tokenizer, { consensus: -1 }),
    /consensus must be a non-negative integer/,
  );
});
