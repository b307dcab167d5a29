// Caption metrics exactly as the COCO caption toolkit (pycocoevalcap) computes them: corpus BLEU-1…4
// (clipped n-gram counts against the maximum count over all references, brevity penalty from the
// reference length closest to each hypothesis, summed over the corpus) and CIDEr-D (TF-IDF n-gram
// vectors with document frequencies over the evaluated reference sets, counts clipped to the
// reference's, Gaussian length penalty σ = 6, averaged over n = 1…4 and references, ×10).
// Written by hand: there is no maintained JavaScript port, and the toolkit's quirks (the tiny/small
// constants, the length counted in bigrams for CIDEr-D) are part of "exactly".

/** Lower-cased word tokens, punctuation dropped (what the toolkit's PTB tokenizer leaves). */
export function captionWords(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu) ?? []
  );
}

type Counts = Map<string, number>;

/** Counts of every n-gram of 1…maxN words (keys are the words joined by a space). */
export function ngramCounts(words: readonly string[], maxN: number): Counts {
  const counts: Counts = new Map();
  for (let n = 1; n <= maxN; n++) {
    for (let start = 0; start + n <= words.length; start++) {
      const key = words.slice(start, start + n).join(' ');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

const orderOf = (key: string): number => key.split(' ').length;

export interface CaptionPair {
  hypothesis: string;
  references: readonly string[];
}

function checkPairs(pairs: readonly CaptionPair[], metric: string): void {
  if (pairs.length === 0) throw new Error(`${metric} needs at least one caption`);
  pairs.forEach((pair, index) => {
    if (pair.references.length === 0) throw new Error(`${metric}: caption ${index} has no references`);
  });
}

export interface BleuScores {
  /** BLEU-1…4. */
  bleu: [number, number, number, number];
  /** Corpus hypothesis and (closest) reference lengths in words. */
  hypothesisLength: number;
  referenceLength: number;
}

/** Corpus BLEU-1…4 as pycocoevalcap's BleuScorer.compute_score(option='closest'). */
export function corpusBleu(pairs: readonly CaptionPair[]): BleuScores {
  checkPairs(pairs, 'BLEU');
  const n = 4;
  const guess = [0, 0, 0, 0];
  const correct = [0, 0, 0, 0];
  let testLength = 0;
  let referenceLength = 0;
  for (const pair of pairs) {
    const words = captionWords(pair.hypothesis);
    const maxCounts: Counts = new Map();
    const lengths: number[] = [];
    for (const reference of pair.references) {
      const referenceWords = captionWords(reference);
      lengths.push(referenceWords.length);
      for (const [key, count] of ngramCounts(referenceWords, n))
        maxCounts.set(key, Math.max(maxCounts.get(key) ?? 0, count));
    }
    // closest reference length; on a tie the shorter (Python's min over (distance, length))
    let closest = lengths[0] as number;
    for (const length of lengths) {
      const distance = Math.abs(length - words.length);
      const best = Math.abs(closest - words.length);
      if (distance < best || (distance === best && length < closest)) closest = length;
    }
    testLength += words.length;
    referenceLength += closest;
    for (let k = 0; k < n; k++) guess[k] = (guess[k] as number) + Math.max(0, words.length - k);
    for (const [key, count] of ngramCounts(words, n)) {
      const k = orderOf(key) - 1;
      correct[k] = (correct[k] as number) + Math.min(count, maxCounts.get(key) ?? 0);
    }
  }
  const small = 1e-9;
  const tiny = 1e-15;
  const bleu: number[] = [];
  let product = 1;
  for (let k = 0; k < n; k++) {
    product *= ((correct[k] as number) + tiny) / ((guess[k] as number) + small);
    bleu.push(product ** (1 / (k + 1)));
  }
  const ratio = (testLength + tiny) / (referenceLength + small);
  if (ratio < 1) for (let k = 0; k < n; k++) bleu[k] = (bleu[k] as number) * Math.exp(1 - 1 / ratio);
  return { bleu: bleu as BleuScores['bleu'], hypothesisLength: testLength, referenceLength };
}

interface TfIdf {
  vectors: Counts[];
  norms: number[];
  /** The toolkit's "length": the number of bigrams. */
  length: number;
}

/** CIDEr-D over a corpus: the mean score and the score of every caption. */
export function ciderD(
  pairs: readonly CaptionPair[],
  options: { sigma?: number } = {},
): { score: number; perCaption: number[] } {
  checkPairs(pairs, 'CIDEr-D');
  const n = 4;
  const sigma = options.sigma ?? 6;
  const referenceCounts = pairs.map((pair) =>
    pair.references.map((reference) => ngramCounts(captionWords(reference), n)),
  );
  const documentFrequency: Counts = new Map();
  for (const references of referenceCounts) {
    const seen = new Set<string>();
    for (const counts of references) for (const key of counts.keys()) seen.add(key);
    for (const key of seen) documentFrequency.set(key, (documentFrequency.get(key) ?? 0) + 1);
  }
  const logDocuments = Math.log(pairs.length);
  const toVector = (counts: Counts): TfIdf => {
    const vectors: Counts[] = Array.from({ length: n }, () => new Map());
    const squares = new Array<number>(n).fill(0);
    let length = 0;
    for (const [key, termFrequency] of counts) {
      const k = orderOf(key) - 1;
      const value = termFrequency * (logDocuments - Math.log(Math.max(1, documentFrequency.get(key) ?? 0)));
      (vectors[k] as Counts).set(key, value);
      squares[k] = (squares[k] as number) + value * value;
      if (k === 1) length += termFrequency;
    }
    return { vectors, norms: squares.map(Math.sqrt), length };
  };
  const similarity = (hypothesis: TfIdf, reference: TfIdf): number[] => {
    const delta = hypothesis.length - reference.length;
    return hypothesis.vectors.map((vector, k) => {
      const referenceVector = reference.vectors[k] as Counts;
      let value = 0;
      for (const [key, weight] of vector) {
        const referenceWeight = referenceVector.get(key) ?? 0;
        value += Math.min(weight, referenceWeight) * referenceWeight;
      }
      const hypothesisNorm = hypothesis.norms[k] as number;
      const referenceNorm = reference.norms[k] as number;
      if (hypothesisNorm !== 0 && referenceNorm !== 0) value /= hypothesisNorm * referenceNorm;
      return value * Math.exp(-(delta * delta) / (2 * sigma * sigma));
    });
  };
  const perCaption = pairs.map((pair, index) => {
    const hypothesis = toVector(ngramCounts(captionWords(pair.hypothesis), n));
    const references = (referenceCounts[index] as Counts[]).map(toVector);
    const sums = new Array<number>(n).fill(0);
    for (const reference of references)
      similarity(hypothesis, reference).forEach((value, k) => {
        sums[k] = (sums[k] as number) + value;
      });
    const mean = sums.reduce((total, value) => total + value, 0) / n;
    return (mean / references.length) * 10;
  });
  return { score: perCaption.reduce((total, value) => total + value, 0) / perCaption.length, perCaption };
}
