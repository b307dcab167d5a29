// Sampling joint-diffusion's standardised latents: the given modalities encoded and held, the rest drawn by
// DDIM; with reranking, k draws per output and the one whose modalities agree best kept (candidates.ts),
// its pictures and sounds judged by what they decode to.
import { type Generator, type Tensor, cat, noGrad, randn, tensor, tidy, zeros } from '../../tensor/index.js';
import type { JointAutoencoders } from './autoencoders.js';
import { checkCandidates, keepBest } from './candidates.js';
import { checkGuidance, samplerTimes } from './diffusion.js';
import type { LatentDiffusion } from './latent-diffusion.js';
import type { JointInputs } from './model.js';
import type { ModalityData, ModalityName } from './parts.js';

export interface LatentSampling {
  steps: number;
  guidance: number;
  /** DDIM's stochasticity η (0 deterministic). */
  eta: number;
  /** Draws per output, the best kept (1 = every draw is an output). */
  candidates: number;
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

/** The best of each group of `candidates` consecutive draws; frees the draws. */
function bestOf(
  autoencoders: JointAutoencoders,
  diffusion: LatentDiffusion,
  draws: Tensor,
  held: readonly boolean[],
  options: LatentSampling,
): Tensor {
  if (options.candidates === 1) return draws;
  try {
    const judged = autoencoders.reencoded(draws, held);
    const outputs = autoencoders.names.map((name) => options.to.includes(name));
    try {
      return keepBest(diffusion, draws, judged, { held, outputs }, options.candidates, options.generator);
    } finally {
      judged.dispose();
    }
  } finally {
    draws.dispose();
  }
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
      const index = tensor(BigInt64Array.from({ length: rows * draws }, (_, i) => BigInt(Math.floor(i / draws))));
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
  const given = givenLatents(autoencoders, inputs, rows, n * checkCandidates(options.candidates));
  try {
    return bestOf(autoencoders, diffusion, diffusion.sample(given, { held, ...options }), held, options);
  } finally {
    given.dispose();
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
