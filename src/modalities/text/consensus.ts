// Consensus reranking (minimum Bayes risk decoding, Kumar & Byrne 2004): of a beam's N best sequences,
// keep the one with the highest expected similarity to all of them, each weighted by its probability,
// instead of the single likeliest. A sequence that shares its words with many likely alternatives is a
// safer answer than a likely outlier: on unseen emojis the beam's top caption is often one memorised name
// while the rest of the list agrees on the words the picture shows.
//
// The similarity is the mean of the two caption metrics the eval reports, computed between candidates:
// smoothed sentence BLEU-4 and CIDEr-D's clipped n-gram cosine with its length penalty (without its
// document frequencies, which a run does not keep; on emoji val uniform weights scored the same).
// Written by hand: it is a few loops over token ids, and no maintained package computes either metric.

/** A candidate: its token ids (no bos/eos) and the score the search ranked it by (a log-probability). */
export interface ConsensusCandidate {
  tokens: readonly number[];
  score: number;
}

export interface ConsensusSettings {
  /**
   * Temperature of the candidates' weights exp(score / T): near 0 only the likeliest candidate counts
   * (so it is kept); large T weights every candidate equally (the list's medoid wins).
   */
  temperature: number;
}

const MAX_ORDER = 4;
/** CIDEr-D's σ of the Gaussian length penalty. */
const LENGTH_SIGMA = 6;

type Grams = Map<string, number>[];

/** Counts of the 1…4-grams of a token sequence, one map per order. */
function gramsOf(tokens: readonly number[]): Grams {
  const grams: Grams = Array.from({ length: MAX_ORDER }, () => new Map<string, number>());
  for (let order = 1; order <= MAX_ORDER; order++) {
    const counts = grams[order - 1] as Map<string, number>;
    for (let start = 0; start + order <= tokens.length; start++) {
      const key = tokens.slice(start, start + order).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return grams;
}

/** Add-one smoothed sentence BLEU-4 of a hypothesis against one reference, with the brevity penalty. */
export function sentenceBleu(hypothesis: readonly number[], reference: readonly number[]): number {
  return bleuOfGrams(gramsOf(hypothesis), hypothesis.length, gramsOf(reference), reference.length);
}

function bleuOfGrams(hypothesis: Grams, hypothesisLength: number, reference: Grams, referenceLength: number): number {
  let logPrecision = 0;
  for (let order = 0; order < MAX_ORDER; order++) {
    let matched = 0;
    let total = 0;
    for (const [key, count] of hypothesis[order] as Map<string, number>) {
      total += count;
      matched += Math.min(count, (reference[order] as Map<string, number>).get(key) ?? 0);
    }
    logPrecision += Math.log((matched + 1) / (total + 1));
  }
  const brevity =
    hypothesisLength < referenceLength ? Math.exp(1 - referenceLength / Math.max(1, hypothesisLength)) : 1;
  return brevity * Math.exp(logPrecision / MAX_ORDER);
}

/** CIDEr-D's similarity with uniform n-gram weights: clipped cosine per order, Gaussian length penalty, mean over orders (in [0, 1]). */
export function ngramCosine(hypothesis: readonly number[], reference: readonly number[]): number {
  return cosineOfGrams(gramsOf(hypothesis), hypothesis.length, gramsOf(reference), reference.length);
}

function cosineOfGrams(hypothesis: Grams, hypothesisLength: number, reference: Grams, referenceLength: number): number {
  const lengthPenalty = Math.exp(-((hypothesisLength - referenceLength) ** 2) / (2 * LENGTH_SIGMA * LENGTH_SIGMA));
  let sum = 0;
  for (let order = 0; order < MAX_ORDER; order++) {
    const ours = hypothesis[order] as Map<string, number>;
    const theirs = reference[order] as Map<string, number>;
    let dot = 0;
    let ourSquares = 0;
    let theirSquares = 0;
    for (const [key, count] of ours) {
      const other = theirs.get(key) ?? 0;
      dot += Math.min(count, other) * other;
      ourSquares += count * count;
    }
    for (const count of theirs.values()) theirSquares += count * count;
    if (ourSquares > 0 && theirSquares > 0) sum += (dot / Math.sqrt(ourSquares * theirSquares)) * lengthPenalty;
  }
  return sum / MAX_ORDER;
}

/** The index of the candidate with the highest probability-weighted similarity to the whole list (itself included). */
export function consensusChoice(candidates: readonly ConsensusCandidate[], settings: ConsensusSettings): number {
  const { temperature } = settings;
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new Error(`the consensus temperature must be a positive number, got ${temperature}`);
  if (candidates.length === 0) throw new Error('consensus reranking needs at least one candidate');
  if (candidates.length === 1) return 0;
  const top = Math.max(...candidates.map((candidate) => candidate.score));
  const weights = candidates.map((candidate) => Math.exp((candidate.score - top) / temperature));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const grams = candidates.map((candidate) => gramsOf(candidate.tokens));
  let best = 0;
  let bestUtility = Number.NEGATIVE_INFINITY;
  candidates.forEach((candidate, index) => {
    const ours = grams[index] as Grams;
    let utility = 0;
    candidates.forEach((other, otherIndex) => {
      const theirs = grams[otherIndex] as Grams;
      const similarity =
        (bleuOfGrams(ours, candidate.tokens.length, theirs, other.tokens.length) +
          cosineOfGrams(ours, candidate.tokens.length, theirs, other.tokens.length)) /
        2;
      utility += ((weights[otherIndex] as number) / total) * similarity;
    });
    // ties (e.g. two identical candidates) keep the likelier, which comes first in a beam's list
    if (utility > bestUtility + 1e-12) {
      bestUtility = utility;
      best = index;
    }
  });
  return best;
}
