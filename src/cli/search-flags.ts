// The search flags every text-writing command shares (caption, transcribe, eval of captioners and
// transcribers): beam width, length penalty and consensus reranking, parsed once so their errors read
// the same everywhere, and the one-line description reports print.
import type { Command } from 'commander';
import { type GenerateTextOptions, checkBeamWidth, checkConsensus } from '../modalities/text/generate.js';

export interface SearchFlags {
  beam?: string;
  lengthPenalty?: string;
  consensus?: string;
  consensusTemperature?: string;
}

type SearchOptions = Pick<GenerateTextOptions, 'beam' | 'lengthPenalty' | 'consensus' | 'consensusTemperature'>;

/** The search options a user gave (unset ones are left out, so a run's decoding section fills them). */
export function searchOptions(flags: SearchFlags): SearchOptions {
  const options: SearchOptions = {};
  if (flags.beam !== undefined) options.beam = checkBeamWidth(Number(flags.beam), '--beam');
  if (flags.lengthPenalty !== undefined) {
    const lengthPenalty = Number(flags.lengthPenalty);
    if (!(lengthPenalty >= 0) || !Number.isFinite(lengthPenalty))
      throw new Error(`--length-penalty must be a number ≥ 0, got "${flags.lengthPenalty}"`);
    options.lengthPenalty = lengthPenalty;
  }
  if (flags.consensus !== undefined) options.consensus = checkConsensus(Number(flags.consensus), '--consensus');
  if (flags.consensusTemperature !== undefined) {
    const temperature = Number(flags.consensusTemperature);
    if (!(temperature > 0) || !Number.isFinite(temperature))
      throw new Error(`--consensus-temperature must be a positive number, got "${flags.consensusTemperature}"`);
    options.consensusTemperature = temperature;
  }
  return options;
}

/** Adds --consensus and --consensus-temperature (the commands add --beam and --length-penalty with their own wording). */
export function consensusOptions(command: Command, prefix = ''): Command {
  return command
    .option(
      '--consensus <candidates>',
      `${prefix}rerank the beam's N best by their probability-weighted agreement (minimum Bayes risk) instead of keeping the likeliest (0 = off; default from the run config)`,
    )
    .option(
      '--consensus-temperature <t>',
      `${prefix}temperature of the candidates' weights in --consensus (default from the run config)`,
    );
}

/** "greedy", "beam 3, length penalty 0.6" or "… , consensus of 12 (temperature 2)". */
export function describeSearch(decoding: {
  beam: number;
  lengthPenalty?: number;
  consensus?: number;
  consensusTemperature?: number;
}): string {
  const width = Math.max(decoding.beam, decoding.consensus ?? 0);
  if (width === 1) return 'greedy';
  const parts = [`beam ${width}`];
  if (decoding.lengthPenalty !== undefined) parts.push(`length penalty ${decoding.lengthPenalty}`);
  if ((decoding.consensus ?? 0) > 1)
    parts.push(`consensus of ${decoding.consensus} (temperature ${decoding.consensusTemperature})`);
  return parts.join(', ');
}
