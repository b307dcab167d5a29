// BLEU-1…4 and CIDEr-D against values worked out by hand from the COCO caption toolkit's definitions,
// and the CdSprites+ caption protocol (Strict, Feats from the words, Letters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captionWords, ciderD, corpusBleu } from '../../src/eval/caption-metrics.js';
import { letterMatch, parseAttributes, scoreCaptionAttributes } from '../../src/eval/caption-attributes.js';
import { captionedAttributes } from '../../src/eval/image-to-text.js';
import type { Dataset, ManifestEntry } from '../../src/data/format.js';

const close = (actual: number, expected: number, what: string, tolerance = 1e-9): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} should be ${expected}`);
};

test('BLEU clips counts by the most generous reference and multiplies precisions cumulatively', () => {
  // unigrams 5/6 (sat is unmatched, "the" twice is allowed by the first reference), bigrams 3/5,
  // trigrams 1/4 ("on the mat"), no 4-gram; closest reference length 6 = hypothesis length, so no penalty
  const { bleu, hypothesisLength, referenceLength } = corpusBleu([
    { hypothesis: 'The cat sat on the mat.', references: ['the cat is on the mat', 'there is a cat on the mat'] },
  ]);
  assert.equal(hypothesisLength, 6);
  assert.equal(referenceLength, 6);
  close(bleu[0], 5 / 6, 'BLEU-1');
  close(bleu[1], Math.sqrt(0.5), 'BLEU-2');
  close(bleu[2], 0.5, 'BLEU-3');
  // the toolkit's tiny/small constants keep a zero precision from being exactly zero
  close(bleu[3], ((5 / 6) * (3 / 5) * (1 / 4) * (1e-15 / (3 + 1e-9))) ** 0.25, 'BLEU-4', 1e-12);
});

test('BLEU: brevity penalty from the closest reference length (ties go to the shorter), counts summed over the corpus', () => {
  const short = corpusBleu([{ hypothesis: 'the cat', references: ['the cat sat down'] }]);
  close(short.bleu[0], Math.exp(1 - 2), 'BLEU-1 with penalty exp(1 - 4/2)');
  close(short.bleu[1], Math.exp(1 - 2), 'BLEU-2 with penalty');
  const tie = corpusBleu([{ hypothesis: 'a b c', references: ['a b c d', 'a b'] }]);
  assert.equal(tie.referenceLength, 2, 'lengths 4 and 2 are equally close to 3: the shorter counts');
  close(tie.bleu[0], 1, 'a longer hypothesis has no penalty');
  // corpus level: 2 of 6 unigrams right overall (a sentence average would give 0.5)
  const corpus = corpusBleu([
    { hypothesis: 'a b', references: ['a b'] },
    { hypothesis: 'c d e f', references: ['x y z w'] },
  ]);
  close(corpus.bleu[0], 2 / 6, 'corpus BLEU-1');
});

test('CIDEr-D: TF-IDF over the reference sets, clipping, Gaussian length penalty on bigram counts, ×10', () => {
  // two images, so idf = log 2 for every n-gram of one image's references and log 2 - log 1 for the others
  const { score, perCaption } = ciderD([
    { hypothesis: 'a b b', references: ['a b'] },
    { hypothesis: 'a d', references: ['c d'] },
  ]);
  // image 1: unigrams: a matches, b is clipped to the reference's weight: 2 L² / (√5 L · √2 L);
  // bigrams: "a b" matches: 1/√2; trigrams none; hypothesis has 2 bigrams, reference 1 → exp(-1/72)
  const first = (((2 / Math.sqrt(10) + 1 / Math.SQRT2) * Math.exp(-1 / 72)) / 4) * 10;
  // image 2: only "d" matches: L² / (√2 L · √2 L) = 1/2 for unigrams, nothing else; equal lengths
  const second = (0.5 / 4) * 10;
  close(perCaption[0] as number, first, 'CIDEr-D of image 1', 1e-12);
  close(perCaption[1] as number, second, 'CIDEr-D of image 2', 1e-12);
  close(score, (first + second) / 2, 'corpus CIDEr-D', 1e-12);
  // a perfect two-word caption scores 10 × (1 + 1 + 0 + 0) / 4 = 5
  close(
    ciderD([
      { hypothesis: 'a b', references: ['a b'] },
      { hypothesis: 'c d', references: ['c d'] },
    ]).score,
    5,
    'perfect captions',
  );
  assert.throws(() => ciderD([{ hypothesis: 'a', references: [] }]), /no references/);
  assert.deepEqual(captionWords("A dog's ball, red!"), ['a', "dog's", 'ball', 'red']);
});

test('the caption protocol: Strict, Feats read from the words (longest value wins, plurals count), Letters', () => {
  const attributes = {
    size: ['small', 'big'],
    colour: ['red', 'blue'],
    shape: ['square', 'heart'],
    position: ['top left', 'top right'],
  };
  assert.deepEqual(parseAttributes('big red heart at top right', attributes), {
    size: 1,
    colour: 0,
    shape: 1,
    position: 1,
  });
  assert.deepEqual(parseAttributes('big big heart', attributes), { size: 1, colour: -1, shape: 1, position: -1 });
  assert.deepEqual(parseAttributes('a red and blue square', attributes).colour, -1, 'two colours named: ambiguous');
  const clothes = { class: ['t-shirt', 'shirt', 'trouser'] };
  assert.equal(parseAttributes('a photo of a t - shirt', clothes).class, 0);
  assert.equal(parseAttributes('a shirt', clothes).class, 1);
  assert.equal(parseAttributes('a pair of trousers', clothes).class, 2);
  close(letterMatch('big red', 'big rod'), 6 / 7, 'one letter of seven differs');
  close(letterMatch('big', 'big red'), 3 / 7, 'missing letters count as wrong');
  const reference = {
    reference: 'small red square at top left',
    attributes: { size: 'small', colour: 'red', shape: 'square', position: 'top left' },
  };
  const scores = scoreCaptionAttributes(
    [
      { hypothesis: 'small red square at top left', ...reference },
      { hypothesis: 'small tan square at top left', ...reference },
    ],
    { ...attributes, colour: ['red', 'tan'] },
    ['small red square at top left', 'big tan heart at top right'],
  );
  close(scores.strict.value, 0.5, 'Strict');
  close(scores.strict.chance, 1 / 16, 'Strict chance');
  close(scores.attributes.feats.value, 7 / 8, 'Feats');
  close(scores.letters.value, (1 + 25 / 28) / 2, 'Letters: "tan" for "red": 3 of 28 characters differ');
  // chance: a uniform guess between the two distinct captions
  const guess = 'big tan heart at top right';
  const target = 'small red square at top left';
  let same = 0;
  for (let i = 0; i < Math.min(guess.length, target.length); i++) if (guess[i] === target[i]) same++;
  close(scores.letters.chance, (1 + same / target.length) / 2, 'Letters chance');
});

test('the protocol scores only attributes the reference captions name', () => {
  const entries: ManifestEntry[] = [
    {
      id: 'a',
      split: 'test',
      text: 'grinning face',
      attributes: { category: 'Smileys & Emotion', vendor: 'google', shape: 'face' },
    },
    {
      id: 'b',
      split: 'test',
      text: 'red heart',
      attributes: { category: 'Smileys & Emotion', vendor: 'twitter', shape: 'heart' },
    },
  ];
  const dataset = {
    info: {
      attributes: {
        category: ['Smileys & Emotion', 'Animals & Nature'],
        vendor: ['google', 'twitter'],
        shape: ['face', 'heart'],
      },
    },
  } as unknown as Dataset;
  assert.deepEqual(captionedAttributes(dataset, entries), { shape: ['face', 'heart'] });
  assert.equal(
    captionedAttributes(
      dataset,
      entries.map((entry) => ({ ...entry, text: 'something' })),
    ),
    undefined,
  );
});
