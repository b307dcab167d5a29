// Reranking draws by the model's own judgement (no judge, no data): each output is drawn k times and the
// draw whose modalities agree best is kept. Agreement is the score network's denoising error, as a diffusion
// classifier reads it (Li et al. 2023, Clark & Jaini 2023), each output modality judged alone: for a
// translation, how well it recovers the given modalities when everything else is noised; for a joint sample,
// how well each modality recovers all the others. Pictures and sounds are judged by what they decode to
// (decoded, then encoded again). Where the caption-words heads also read the draws (caption-words.ts), a
// draw's rank by that disagreement is added to its rank by the denoising error: two scales that do not
// compare, so ranks, not sums.
import { type Generator, type Tensor, noGrad, randn, tensor, tidy, zeros } from '../../tensor/index.js';
import type { LatentDiffusion } from './latent-diffusion.js';

/** Diffusion times at which agreement is read (spread over the schedule; the errors are summed). */
export const AGREEMENT_TIMES: readonly number[] = [0.2, 0.4, 0.6, 0.8];

/** One reading of agreement: the modalities noised (the rest held clean) and those whose error counts. */
export interface AgreementSet {
  noised: boolean[];
  counted: boolean[];
}

/**
 * The readings summed for a candidate: one per judged output modality, held alone with the rest noised;
 * a translation counts the error of its given modalities, a joint sample that of all the others.
 */
export function agreementSets(held: readonly boolean[], judged: readonly boolean[]): AgreementSet[] {
  const translation = held.some(Boolean);
  return judged.flatMap((isJudged, output) => {
    if (!isJudged || held[output]) return [];
    const noised = held.map((_, m) => m !== output);
    return [{ noised, counted: translation ? [...held] : noised }];
  });
}

/** Draws per output: a whole number from 1 to 64 (an error naming the option otherwise). */
export function checkCandidates(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > 64)
    throw new Error(`candidates (draws per output) must be a whole number from 1 to 64, got ${k}`);
  return k;
}

/** Index of the lowest error in each group of `k` consecutive candidates (the earliest on a tie). */
export function bestOfGroups(errors: readonly number[], k: number): number[] {
  checkCandidates(k);
  if (errors.length % k !== 0) throw new Error(`${errors.length} candidate errors do not split into groups of ${k}`);
  return Array.from({ length: errors.length / k }, (_, group) => {
    let best = group * k;
    for (let index = best + 1; index < (group + 1) * k; index++)
      if ((errors[index] as number) < (errors[best] as number)) best = index;
    return best;
  });
}

/**
 * One score per candidate [G·k] from several error lists (lower agrees better): within each group of k, the sum
 * of its ranks in every list (0 = lowest error), ties broken by its rank in the first list.
 */
export function rankSum(lists: readonly (readonly number[])[], k: number): number[] {
  const [first = [], ...others] = lists;
  if (others.length === 0) return [...first];
  if (lists.some((list) => list.length !== first.length))
    throw new Error(`error lists of ${lists.map((list) => list.length).join(' and ')} candidates do not line up`);
  const ranks = lists.map((list) => {
    const rank = new Array<number>(list.length).fill(0);
    for (let start = 0; start < list.length; start += k) {
      const order = Array.from({ length: k }, (_, offset) => start + offset);
      order.sort((a, b) => (list[a] as number) - (list[b] as number) || a - b);
      order.forEach((index, position) => (rank[index] = position));
    }
    return rank;
  });
  return first.map((_, index) => {
    const total = ranks.reduce((sum, rank) => sum + (rank[index] as number), 0);
    return total * k + (ranks[0]?.[index] as number);
  });
}

/**
 * The error [G·k] of every candidate (lower agrees better), read on `judged` [G·k, M·D]: the candidates as
 * the caller wants them judged (joint-diffusion: pictures and sounds decoded and encoded again).
 */
export function disagreement(
  diffusion: LatentDiffusion,
  judged: Tensor,
  modalities: { held: readonly boolean[]; outputs: readonly boolean[] },
  k: number,
  generator: Generator,
): number[] {
  return noGrad(() =>
    tidy(() => {
      const [rows = 0, width = 0] = judged.shape;
      // one noise per output, shared by its k candidates
      const noise = randn([rows / k, width], { generator }).repeatInterleave(k, 0);
      const total = agreementSets(modalities.held, modalities.outputs).reduce(
        (sum, set) => sum.add(diffusion.denoisingError(judged, set, AGREEMENT_TIMES, noise)),
        zeros([rows]),
      );
      return total.toFlatArray();
    }),
  );
}

/**
 * The best of each group of k consecutive candidate latents [G·k, M·D] → [G, M·D], judged on `judged`; `held`
 * flags the given modalities, `outputs` the ones asked for (the ones judged). `alsoJudged` are further errors
 * per candidate (the caption words' disagreement), combined with the denoising error by rank.
 */
export function keepBest(
  diffusion: LatentDiffusion,
  candidates: Tensor,
  judged: Tensor,
  modalities: { held: readonly boolean[]; outputs: readonly boolean[] },
  k: number,
  generator: Generator,
  alsoJudged: readonly (readonly number[])[] = [],
): Tensor {
  const errors = rankSum([disagreement(diffusion, judged, modalities, k, generator), ...alsoJudged], k);
  const index = tensor(BigInt64Array.from(bestOfGroups(errors, k), (row) => BigInt(row)));
  try {
    return candidates.indexSelect(0, index);
  } finally {
    index.dispose();
  }
}
