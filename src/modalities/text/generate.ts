// Text from a step model (a writer's decoder, or an ensemble of them) and a tokenizer: greedy (beam 1),
// beam search or seeded sampling, decoded to strings. Shared by every recipe that writes text.
import { consensusChoice } from './consensus.js';
import { type DecodedSequence, type StepModel, beamSearch, greedyDecode, sampleDecode } from './decoding.js';
import type { Tokenizer } from './tokenizer.js';

export interface SamplingOptions {
  seed: number;
  temperature?: number;
  topK?: number;
  topP?: number;
}

export interface GenerateTextOptions {
  /** Beam width; 1 = greedy. Ignored when sampling. */
  beam?: number;
  maxLength?: number;
  lengthPenalty?: number;
  /**
   * Consensus reranking: beam search keeps this many best sequences (at least `beam`) and the one most
   * similar to the others, weighted by probability, is returned (0 or 1 = off; consensus.ts).
   */
  consensus?: number;
  /** Temperature of the candidates' weights in consensus reranking. */
  consensusTemperature?: number;
  /** Sample instead of searching. */
  sample?: SamplingOptions;
}

export interface GeneratedText {
  text: string;
  /** Token ids without bos/eos. */
  tokens: number[];
  /** Summed log-probability of the tokens (and eos). */
  logProb: number;
  /** The search's ranking score (logProb over the length penalty). */
  score: number;
  /** False when maxLength cut the text before eos. */
  finished: boolean;
}

export const DEFAULT_GENERATION = {
  beam: 1,
  maxLength: 24,
  lengthPenalty: 0.6,
  consensus: 0,
  consensusTemperature: 2,
} as const;

/** Checks a beam width given by a user. */
export function checkBeamWidth(beam: number, source = 'beam width'): number {
  if (!Number.isInteger(beam) || beam < 1)
    throw new Error(`${source} must be a positive integer (1 = greedy), got ${beam}`);
  return beam;
}

/** Checks a consensus candidate count given by a user (0 or 1 = off). */
export function checkConsensus(candidates: number, source = 'consensus'): number {
  if (!Number.isInteger(candidates) || candidates < 0)
    throw new Error(
      `${source} must be a non-negative integer (the beam's candidates to rerank; 0 = off), got ${candidates}`,
    );
  return candidates;
}

/** One text per input row of any step model (a decoder, an ensemble): greedy, beam search (optionally consensus-reranked) or sampling. */
export function searchText<State>(
  steps: StepModel<State>,
  initial: State,
  rows: number,
  tokenizer: Tokenizer,
  options: GenerateTextOptions = {},
): GeneratedText[] {
  const beam = checkBeamWidth(options.beam ?? DEFAULT_GENERATION.beam);
  const consensus = checkConsensus(options.consensus ?? DEFAULT_GENERATION.consensus);
  const settings = {
    bosId: tokenizer.bosId,
    eosId: tokenizer.eosId,
    maxLength: options.maxLength ?? DEFAULT_GENERATION.maxLength,
  };
  const width = Math.max(beam, consensus);
  let sequences: DecodedSequence[];
  if (options.sample) sequences = sampleDecode(steps, initial, rows, { ...settings, ...options.sample });
  else if (width === 1) sequences = greedyDecode(steps, initial, rows, settings);
  else {
    const lists = beamSearch(steps, initial, rows, {
      ...settings,
      width,
      lengthPenalty: options.lengthPenalty ?? DEFAULT_GENERATION.lengthPenalty,
    });
    const temperature = options.consensusTemperature ?? DEFAULT_GENERATION.consensusTemperature;
    sequences = lists.map(
      (list) => list[consensus > 1 ? consensusChoice(list, { temperature }) : 0] as DecodedSequence,
    );
  }
  return sequences.map((sequence) => ({ ...sequence, text: tokenizer.decode(sequence.tokens) }));
}
