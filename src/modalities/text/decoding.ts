// Autoregressive decoding over any step model: greedy, beam search (width, GNMT length penalty, max
// length) and sampling (temperature, top-k, top-p), all deterministic for a given seed. The search runs
// in JavaScript over each step's log-probabilities; the model's state (e.g. a GRU hidden state) stays
// in whatever form the model keeps it and is only reordered by row.
import { Random } from '../../data/random.js';

/** A model that extends many sequences (rows) by one token at a time. */
export interface StepModel<State> {
  readonly vocabularySize: number;
  /** Reads one token per row; returns log-probabilities of the next token ([rows × vocabulary], row-major) and the new state. */
  step(state: State, tokens: Int32Array): { logProbs: Float32Array; state: State };
  /** A state whose row i is row rows[i] of the given one (rows may repeat). */
  select(state: State, rows: Int32Array): State;
  /** Frees a state that is no longer used. */
  release(state: State): void;
}

export interface DecodedSequence {
  /** Token ids without bos and eos. */
  tokens: number[];
  /** Sum of the log-probabilities of the tokens, eos included when it was produced. */
  logProb: number;
  /** What the search ranked by: logProb divided by the length penalty. */
  score: number;
  /** False when the sequence stopped at maxLength without producing eos. */
  finished: boolean;
}

export interface DecodeSettings {
  bosId: number;
  eosId: number;
  /** Most tokens generated per sequence (eos included). */
  maxLength: number;
}

export interface BeamSettings extends DecodeSettings {
  width: number;
  /** α of the GNMT penalty ((5 + length) / 6)^α; 0 ranks by the summed log-probability. */
  lengthPenalty?: number;
}

export interface SampleSettings extends DecodeSettings {
  seed: number;
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 = all). */
  topP?: number;
}

function checkSettings(settings: DecodeSettings, vocabularySize: number): void {
  const { bosId, eosId, maxLength } = settings;
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new Error(`maxLength must be a positive integer, got ${maxLength}`);
  for (const [name, id] of [
    ['bosId', bosId],
    ['eosId', eosId],
  ] as const) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabularySize)
      throw new Error(`${name} ${id} is outside the vocabulary (0..${vocabularySize - 1})`);
  }
}

/** The GNMT length penalty ((5 + length) / 6)^α (Wu et al. 2016). */
export function lengthPenaltyOf(length: number, alpha: number): number {
  return alpha === 0 ? 1 : ((5 + length) / 6) ** alpha;
}

/** Runs one token per row until every row has produced eos or maxLength tokens; `choose` picks each row's next token. */
function decodeRowwise<State>(
  model: StepModel<State>,
  initial: State,
  rows: number,
  settings: DecodeSettings,
  choose: (logProbs: Float32Array, offset: number, row: number) => number,
): DecodedSequence[] {
  checkSettings(settings, model.vocabularySize);
  const vocabulary = model.vocabularySize;
  const results: DecodedSequence[] = Array.from({ length: rows }, () => ({
    tokens: [],
    logProb: 0,
    score: 0,
    finished: false,
  }));
  const tokens = new Int32Array(rows).fill(settings.bosId);
  let state = model.select(
    initial,
    Int32Array.from({ length: rows }, (_, row) => row),
  );
  try {
    for (let position = 0; position < settings.maxLength && results.some((result) => !result.finished); position++) {
      const next = model.step(state, tokens);
      model.release(state);
      state = next.state;
      for (let row = 0; row < rows; row++) {
        const result = results[row] as DecodedSequence;
        if (result.finished) {
          tokens[row] = settings.eosId;
          continue;
        }
        const token = choose(next.logProbs, row * vocabulary, row);
        result.logProb += next.logProbs[row * vocabulary + token] as number;
        if (token === settings.eosId) result.finished = true;
        else result.tokens.push(token);
        tokens[row] = token;
      }
    }
  } finally {
    model.release(state);
  }
  for (const result of results) result.score = result.logProb;
  return results;
}

/** The most likely token at every step. */
export function greedyDecode<State>(
  model: StepModel<State>,
  initial: State,
  rows: number,
  settings: DecodeSettings,
): DecodedSequence[] {
  const vocabulary = model.vocabularySize;
  return decodeRowwise(model, initial, rows, settings, (logProbs, offset) => {
    let best = 0;
    for (let v = 1; v < vocabulary; v++)
      if ((logProbs[offset + v] as number) > (logProbs[offset + best] as number)) best = v;
    return best;
  });
}

/** Seeded sampling with temperature, top-k and top-p (nucleus) filtering; row r draws from its own stream. */
export function sampleDecode<State>(
  model: StepModel<State>,
  initial: State,
  rows: number,
  settings: SampleSettings,
): DecodedSequence[] {
  const temperature = settings.temperature ?? 1;
  const topK = settings.topK ?? 0;
  const topP = settings.topP ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new Error(`temperature must be a positive number, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0)
    throw new Error(`topK must be a non-negative integer (0 = no limit), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`topP must be in (0, 1], got ${topP}`);
  if (!Number.isSafeInteger(settings.seed) || settings.seed < 0)
    throw new Error(`seed must be a non-negative integer, got ${settings.seed}`);
  const vocabulary = model.vocabularySize;
  const streams = Array.from({ length: rows }, (_, row) => new Random(settings.seed).fork('sample-decode', row));
  return decodeRowwise(model, initial, rows, settings, (logProbs, offset, row) => {
    const order = Array.from({ length: vocabulary }, (_, v) => v).sort(
      (a, b) => (logProbs[offset + b] as number) - (logProbs[offset + a] as number) || a - b,
    );
    const kept = topK > 0 ? order.slice(0, topK) : order;
    const top = (logProbs[offset + (kept[0] as number)] as number) / temperature;
    const weights = kept.map((v) => Math.exp((logProbs[offset + v] as number) / temperature - top));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let count = 0;
    for (let mass = 0; count < kept.length && (count === 0 || mass < topP); count++)
      mass += (weights[count] as number) / total;
    const nucleus = weights.slice(0, count).reduce((sum, weight) => sum + weight, 0);
    let draw = (streams[row] as Random).next() * nucleus;
    for (let i = 0; i < count; i++) {
      draw -= weights[i] as number;
      if (draw < 0) return kept[i] as number;
    }
    return kept[count - 1] as number;
  });
}

interface Hypothesis {
  tokens: number[];
  logProb: number;
}

interface Candidate {
  parent: number;
  token: number;
  logProb: number;
}

/** Keeps the `limit` best candidates in descending log-probability (ties: lower parent, then lower token). */
function insertCandidate(best: Candidate[], candidate: Candidate, limit: number): void {
  if (best.length === limit && candidate.logProb <= (best[limit - 1] as Candidate).logProb) return;
  let at = best.length;
  while (at > 0 && (best[at - 1] as Candidate).logProb < candidate.logProb) at--;
  best.splice(at, 0, candidate);
  if (best.length > limit) best.pop();
}

/**
 * Beam search: each of `rows` inputs keeps `width` live hypotheses; a hypothesis ending in eos joins
 * that input's finished list, ranked by logProb / lengthPenalty. An input stops when no live
 * hypothesis can still beat its width-th finished one (a live score can only fall as it grows: its
 * log-probability falls and the penalty is largest at maxLength). Hypotheses reaching maxLength
 * without eos are finished unfinished, so every input gets an answer.
 */
export function beamSearch<State>(
  model: StepModel<State>,
  initial: State,
  rows: number,
  settings: BeamSettings,
): DecodedSequence[][] {
  checkSettings(settings, model.vocabularySize);
  const width = settings.width;
  if (!Number.isInteger(width) || width < 1) throw new Error(`beam width must be a positive integer, got ${width}`);
  const alpha = settings.lengthPenalty ?? 0;
  if (!(alpha >= 0) || !Number.isFinite(alpha))
    throw new Error(`lengthPenalty must be a non-negative number, got ${alpha}`);
  const vocabulary = model.vocabularySize;
  const { eosId, maxLength } = settings;
  const scoreOf = (logProb: number, length: number): number => logProb / lengthPenaltyOf(length, alpha);
  // row r * width + k of the state holds hypothesis k of input r; only hypothesis 0 is live at first
  const live: Hypothesis[][] = Array.from({ length: rows }, () => [{ tokens: [], logProb: 0 }]);
  const finished: DecodedSequence[][] = Array.from({ length: rows }, () => []);
  const done = new Array<boolean>(rows).fill(false);
  const tokens = new Int32Array(rows * width).fill(settings.bosId);
  let state = model.select(
    initial,
    Int32Array.from({ length: rows * width }, (_, row) => Math.floor(row / width)),
  );
  const finish = (input: number, hypothesis: Hypothesis, ended: boolean): void => {
    const length = hypothesis.tokens.length + (ended ? 1 : 0);
    finished[input]?.push({
      tokens: hypothesis.tokens,
      logProb: hypothesis.logProb,
      score: scoreOf(hypothesis.logProb, length),
      finished: ended,
    });
  };
  try {
    for (let position = 0; position < maxLength && done.includes(false); position++) {
      const next = model.step(state, tokens);
      model.release(state);
      state = next.state;
      const parents = new Int32Array(rows * width);
      for (let input = 0; input < rows; input++) {
        const base = input * width;
        parents.fill(base, base, base + width);
        if (done[input]) continue;
        const hypotheses = live[input] as Hypothesis[];
        const best: Candidate[] = [];
        hypotheses.forEach((hypothesis, k) => {
          const offset = (base + k) * vocabulary;
          for (let v = 0; v < vocabulary; v++)
            insertCandidate(
              best,
              { parent: k, token: v, logProb: hypothesis.logProb + (next.logProbs[offset + v] as number) },
              2 * width,
            );
        });
        const survivors: Hypothesis[] = [];
        for (const candidate of best) {
          const parent = hypotheses[candidate.parent] as Hypothesis;
          if (candidate.token === eosId) finish(input, { tokens: parent.tokens, logProb: candidate.logProb }, true);
          else if (survivors.length < width) {
            parents[base + survivors.length] = base + candidate.parent;
            tokens[base + survivors.length] = candidate.token;
            survivors.push({ tokens: [...parent.tokens, candidate.token], logProb: candidate.logProb });
          }
        }
        live[input] = survivors;
        const ranked = (finished[input] as DecodedSequence[]).sort((a, b) => b.score - a.score);
        const bestLive = survivors.reduce(
          (top, hypothesis) => Math.max(top, hypothesis.logProb),
          Number.NEGATIVE_INFINITY,
        );
        const bound = scoreOf(bestLive, maxLength);
        if (survivors.length === 0 || (ranked.length >= width && (ranked[width - 1] as DecodedSequence).score >= bound))
          done[input] = true;
        if (position === maxLength - 1 && !done[input])
          for (const hypothesis of survivors) finish(input, hypothesis, false);
      }
      const selected = model.select(state, parents);
      model.release(state);
      state = selected;
    }
  } finally {
    model.release(state);
  }
  return finished.map((list) => list.sort((a, b) => b.score - a.score).slice(0, width));
}

/**
 * An ensemble as one step model: each next-token distribution is the normalised geometric mean of the
 * members' (a product of experts), so a word wins where the members agree. Members read the same
 * tokens and are reordered together; the state is one state per member.
 */
export function averageStepModels<State>(members: readonly StepModel<State>[]): StepModel<State[]> {
  const first = members[0];
  if (!first) throw new Error('an ensemble needs at least one member');
  const vocabulary = first.vocabularySize;
  for (const member of members) {
    if (member.vocabularySize !== vocabulary)
      throw new Error(
        `ensemble members must share a vocabulary: ${member.vocabularySize} tokens against ${vocabulary}`,
      );
  }
  return {
    vocabularySize: vocabulary,
    step: (states, tokens) => {
      const results = members.map((member, index) => member.step(states[index] as State, tokens));
      const logProbs = new Float32Array(tokens.length * vocabulary);
      for (let row = 0; row < tokens.length; row++) {
        const offset = row * vocabulary;
        let top = Number.NEGATIVE_INFINITY;
        for (let v = 0; v < vocabulary; v++) {
          let sum = 0;
          for (const result of results) sum += result.logProbs[offset + v] as number;
          const mean = sum / results.length;
          logProbs[offset + v] = mean;
          top = Math.max(top, mean);
        }
        let total = 0;
        for (let v = 0; v < vocabulary; v++) total += Math.exp((logProbs[offset + v] as number) - top);
        const normaliser = top + Math.log(total);
        for (let v = 0; v < vocabulary; v++) logProbs[offset + v] = (logProbs[offset + v] as number) - normaliser;
      }
      return { logProbs, state: results.map((result) => result.state) };
    },
    select: (states, rows) => members.map((member, index) => member.select(states[index] as State, rows)),
    release: (states) => members.forEach((member, index) => member.release(states[index] as State)),
  };
}
