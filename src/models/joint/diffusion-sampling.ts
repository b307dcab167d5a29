// Sampling joint-diffusion's standardised latents: the given modalities encoded and held, the rest drawn by
// DDIM; with reranking, k draws per output and the one whose modalities agree best kept (candidates.ts),
// its pictures and sounds judged by what they decode to, and by the words their caption-words heads read.
import { type Generator, type Tensor, cat, noGrad, randn, tensor, tidy, zeros } from '../../tensor/index.js';
import type { JointAutoencoders } from './autoencoders.js';
import { checkCandidates, keepBest } from './candidates.js';
import { wordsDisagreement } from './caption-words.js';
import { wordViews } from './word-views.js';
import { checkGuidance, samplerTimes } from './diffusion.js';
import type { LatentDiffusion } from './latent-diffusion.js';
import type { JointInputs } from './model.js';
import type { ModalityData, ModalityName, TokenBatch } from './parts.js';

export interface LatentSampling {
  steps: number;
  guidance: number;
  /** DDIM's stochasticity η (0 deterministic). */
  eta: number;
  /** Draws per output, the best kept (1 = every draw is an output). */
  candidates: number;
  /** Rerank draws also by the words their caption-words heads read (where the run has them). */
  captionWords: boolean;
  /** The modalities asked for: the ones the reranking judges. */
  to: readonly ModalityName[];
  generator: Generator;
}

/** Raises a bad sampler setting even where no sampling runs (a round trip), so it is never silently ignored. */
export function checkSampling(options: Pick<LatentSampling, 'steps' | 'guidance' | 'eta' | 'candidates'>): void {
  samplerTimes(options.steps);
  checkGuidance(options.guidance);
  if (!(options.eta >= 0 && options.eta <= 1))
    throw new Error(`eta (the sampler's stochasticity) must be a number from 0 to 1, got ${options.eta}`);
  checkCandidates(options.candidates);
}

/** Per draw, how far its caption words are from its sources' (caption-words.ts); none without heads. */
function wordsErrors(
  autoencoders: JointAutoencoders,
  judged: Tensor,
  modalities: { held: readonly boolean[]; outputs: readonly boolean[] },
  captions: TokenBatch | undefined,
): number[][] {
  if (!autoencoders.readsWords) return [];
  const text = autoencoders.names.indexOf('text');
  // a caption drawn from given pictures or sounds is written out, so their heads can read it
  const writeText = text >= 0 && modalities.outputs[text] === true && modalities.held.some(Boolean);
  const views = wordViews(autoencoders, judged, captions, writeText);
  try {
    const errors = wordsDisagreement(views, modalities.held, modalities.outputs);
    try {
      return errors ? [errors.toFlatArray()] : [];
    } finally {
      errors?.dispose();
    }
  } finally {
    for (const view of views) for (const tensor of [view?.logits, view?.words]) tensor?.dispose();
  }
}

/** The best of each group of `candidates` consecutive draws; frees the draws. `captions`: a given caption per draw. */
function bestOf(
  autoencoders: JointAutoencoders,
  diffusion: LatentDiffusion,
  draws: Tensor,
  held: readonly boolean[],
  options: LatentSampling,
  captions?: TokenBatch,
): Tensor {
  if (options.candidates === 1) return draws;
  try {
    const judged = autoencoders.reencoded(draws, held);
    const modalities = { held, outputs: autoencoders.names.map((name) => options.to.includes(name)) };
    try {
      const words = options.captionWords ? wordsErrors(autoencoders, judged, modalities, captions) : [];
      return keepBest(diffusion, draws, judged, modalities, options.candidates, options.generator, words);
    } finally {
      judged.dispose();
    }
  } finally {
    draws.dispose();
  }
}

/** Row indices [R·draws] repeating each of `rows` rows `draws` times (row 0's draws first). */
function repeatedRows(rows: number, draws: number): Tensor {
  return tensor(BigInt64Array.from({ length: rows * draws }, (_, i) => BigInt(Math.floor(i / draws))));
}

/** Standardised latents [R·draws, M·D] of the given modalities (each row repeated `draws` times); zeros for the others. */
export function givenLatents(
  autoencoders: JointAutoencoders,
  inputs: JointInputs,
  rows: number,
  draws: number,
): Tensor {
  return noGrad(() =>
    tidy(() => {
      autoencoders.eval();
      const index = repeatedRows(rows, draws);
      const parts = autoencoders.names.map((name, m) => {
        const data = inputs[name];
        // a modality not given has nothing to encode: the sampler replaces its zeros by noise
        return data === undefined
          ? zeros([rows * draws, autoencoders.latentDim])
          : autoencoders.encode(m, autoencoders.parts[m]?.pick(data, index) as ModalityData);
      });
      return autoencoders.standardise(cat(parts, 1));
    }),
  );
}

/** The given caption repeated per draw, when the reranking reads words; undefined otherwise. */
function givenCaptions(
  autoencoders: JointAutoencoders,
  inputs: JointInputs,
  rows: number,
  draws: number,
  options: LatentSampling,
): TokenBatch | undefined {
  const text = inputs.text;
  if (!text || options.candidates === 1 || !options.captionWords || !autoencoders.readsWords) return undefined;
  const index = repeatedRows(rows, draws);
  try {
    return autoencoders.part('text').pick(text, index) as TokenBatch;
  } finally {
    index.dispose();
  }
}

/** Standardised latents [R·n, M·D] (row-major: row 0's n draws first) with the given modalities held. */
export function conditionalLatents(
  autoencoders: JointAutoencoders,
  diffusion: LatentDiffusion,
  inputs: JointInputs,
  rows: number,
  n: number,
  options: LatentSampling,
): Tensor {
  const held = autoencoders.names.map((name) => inputs[name] !== undefined);
  const draws = n * checkCandidates(options.candidates);
  const given = givenLatents(autoencoders, inputs, rows, draws);
  const captions = givenCaptions(autoencoders, inputs, rows, draws, options);
  try {
    return bestOf(autoencoders, diffusion, diffusion.sample(given, { held, ...options }), held, options, captions);
  } finally {
    given.dispose();
    captions?.tokens.dispose();
    captions?.lengths.dispose();
  }
}

/** n joint samples of standardised latents [n, M·D], every modality drawn. */
export function jointLatents(
  autoencoders: JointAutoencoders,
  diffusion: LatentDiffusion,
  n: number,
  options: LatentSampling,
): Tensor {
  const held = autoencoders.names.map(() => false);
  const start = randn([n * checkCandidates(options.candidates), autoencoders.names.length * autoencoders.latentDim], {
    generator: options.generator,
  });
  try {
    return bestOf(autoencoders, diffusion, diffusion.sample(start, { held, ...options }), held, options);
  } finally {
    start.dispose();
  }
}
