// Text from a step model (a writer's decoder, or an ensemble of them) and a tokenizer: greedy (beam 1),
// beam search or seeded sampling, decoded to strings. Shared by every recipe that writes text.
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

export const DEFAULT_GENERATION = { beam: 1, maxLength: 24, lengthPenalty: 0.6 } as const;

/** Checks a beam width given by a user. */
export function checkBeamWidth(beam: number, source = 'beam width'): number {
  if (!Number.isInteger(beam) || beam < 1) throw new Error(`${source} must be a positive integer (1 = greedy), got ${beam}`);
  return beam;
}

/** One text per input row of any step model (a decoder, an ensemble): greedy, beam search or sampling. */
export function searchText<State>(steps: StepModel<State>, initial: State, rows: number, tokenizer: Tokenizer, options: GenerateTextOptions = {}): GeneratedText[] {
  const beam = checkBeamWidth(options.beam ?? DEFAULT_GENERATION.beam);
  const settings = { bosId: tokenizer.bosId, eosId: tokenizer.eosId, maxLength: options.maxLength ?? DEFAULT_GENERATION.maxLength };
  let sequences: DecodedSequence[];
  if (options.sample) sequences = sampleDecode(steps, initial, rows, { ...settings, ...options.sample });
  else if (beam === 1) sequences = greedyDecode(steps, initial, rows, settings);
  else sequences = beamSearch(steps, initial, rows, { ...settings, width: beam, lengthPenalty: options.lengthPenalty ?? DEFAULT_GENERATION.lengthPenalty }).map((list) => list[0] as DecodedSequence);
  return sequences.map((sequence) => ({ ...sequence, text: tokenizer.decode(sequence.tokens) }));
}
