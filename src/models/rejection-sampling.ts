// Discriminator rejection sampling, in the spirit of Azadi et al. 2019 ("Discriminator Rejection Sampling"):
// the trained discriminator scores each generated image under its caption, and draws it finds less real than
// a threshold are drawn again. The threshold is the score the lowest `fraction` of generated images fall
// under, measured once per loaded run on training captions, so the same seed still gives the same images.
// A small GAN's worst draws (smeared blobs, half-formed shapes) are few and score low; FID punishes them most.
import { Random } from '../data/random.js';
import type { Tokenizer } from '../modalities/text/index.js';
import { type Module, inEvalMode } from '../nn/index.js';
import { Generator, type Tensor, cat, dispose, noGrad, randn, tensor, tidy } from '../tensor/index.js';
import { type TextBatch, encodePrompts, keepKnownWords } from './prompts.js';

/** What rejection needs of a GAN: drawing images from prompts and noise, and the discriminator's realness. */
export interface RealnessCritic {
  readonly tokenizer: Tokenizer;
  readonly latentDim: number;
  /** Images the discriminator scores together (its minibatch-std group); batches are padded to a multiple of it. */
  readonly group: number;
  /** Images [B, C, H, W] for encoded prompts and noise [B, latentDim]. */
  draw(text: TextBatch, noise: Tensor): Tensor;
  /** Realness logits [B] of images under their prompts (higher = more real). */
  score(images: Tensor, text: TextBatch): Tensor;
}

export interface RejectionSettings {
  /** Share of generated images (on training captions) whose score is below the threshold; 0 turns rejection off. */
  fraction: number;
  /** Redraws per image at most; after that the best-scored draw is kept. */
  rounds: number;
  /** Training captions the threshold is measured on. */
  calibrationImages: number;
}

export interface RejectionThreshold {
  /** Draws scoring below this are drawn again. */
  score: number;
  fraction: number;
  rounds: number;
  /** Images the threshold was measured on. */
  images: number;
}

/** The parts of a text-conditioned GAN a critic is built from. */
export interface DiscriminatorParts {
  tokenizer: Tokenizer;
  latentDim: number;
  /** The discriminator's minibatch-std group size (1 without one). */
  group: number;
  generator: Module & { forward(tokens: Tensor, lengths: Tensor, latent: Tensor): Tensor };
  discriminator: Module & {
    text: { forward(tokens: Tensor, lengths: Tensor): Tensor };
    image: {
      features(images: Tensor, group: number): Tensor;
      scoreFeatures(pooled: Tensor, condition: Tensor): Tensor;
    };
  };
}

/** A critic from a GAN's generator and projection discriminator, both run in eval mode. */
export function discriminatorCritic(parts: DiscriminatorParts): RealnessCritic {
  const { generator, discriminator, group } = parts;
  return {
    tokenizer: parts.tokenizer,
    latentDim: parts.latentDim,
    group,
    draw: (text, noise) => inEvalMode(generator, () => generator.forward(text.tokens, text.lengths, noise)),
    score: (images, text) =>
      inEvalMode(discriminator, () => {
        const condition = discriminator.text.forward(text.tokens, text.lengths);
        return discriminator.image.scoreFeatures(discriminator.image.features(images, group), condition);
      }),
  };
}

const CALIBRATION_SEED = 20_190_607;
const CALIBRATION_BATCH = 100;

/** Rows of an encoded batch (indices may repeat). */
function selectRows(text: TextBatch, rows: readonly number[]): TextBatch {
  const index = tensor(BigInt64Array.from(rows, BigInt));
  try {
    return { tokens: text.tokens.indexSelect(0, index), lengths: text.lengths.indexSelect(0, index) };
  } finally {
    index.dispose();
  }
}

/**
 * Draws and scores one image per listed row of `text`, padding with repeats of the rows to a multiple of the
 * critic's group (the padding's images are drawn and scored but not returned). Noise comes from `random`.
 */
function drawAndScore(
  critic: RealnessCritic,
  text: TextBatch,
  rows: readonly number[],
  random: Generator,
): { images: Tensor; scores: number[] } {
  const padded = Math.ceil(rows.length / critic.group) * critic.group;
  const allRows = Array.from({ length: padded }, (_, index) => rows[index % rows.length] as number);
  const batch = selectRows(text, allRows);
  try {
    return noGrad(() =>
      tidy(() => {
        const images = critic.draw(batch, randn([padded, critic.latentDim], { generator: random }));
        const scores = critic.score(images, batch).toFlatArray().slice(0, rows.length);
        return { images: images.narrow(0, 0, rows.length), scores };
      }),
    );
  } finally {
    dispose(batch);
  }
}

/**
 * The threshold below which `settings.fraction` of generated images score, on `settings.calibrationImages`
 * training captions chosen with a fixed seed (cycled when there are fewer). Captions lose the words the
 * tokenizer does not know; none left is an error.
 */
export function calibrateRejection(
  critic: RealnessCritic,
  captions: readonly string[],
  settings: RejectionSettings,
): RejectionThreshold {
  if (!(settings.fraction > 0 && settings.fraction < 1))
    throw new Error(`the rejected fraction must be in (0, 1), got ${settings.fraction}`);
  const prompts = [...new Set(captions)]
    .map((caption) => keepKnownWords(critic.tokenizer, caption).prompt)
    .filter((prompt) => prompt !== '');
  if (prompts.length === 0)
    throw new Error('no training caption has a word the model knows, so the rejection threshold cannot be measured');
  const order = new Random(CALIBRATION_SEED).shuffle(prompts.map((_, index) => index));
  const chosen = Array.from(
    { length: settings.calibrationImages },
    (_, index) => prompts[order[index % order.length] as number] as string,
  );
  const random = new Generator(CALIBRATION_SEED);
  const scores: number[] = [];
  try {
    for (let start = 0; start < chosen.length; start += CALIBRATION_BATCH) {
      const texts = chosen.slice(start, start + CALIBRATION_BATCH);
      const text = encodePrompts(critic.tokenizer, texts);
      try {
        const drawn = drawAndScore(
          critic,
          text,
          texts.map((_, index) => index),
          random,
        );
        drawn.images.dispose();
        scores.push(...drawn.scores);
      } finally {
        dispose(text);
      }
    }
  } finally {
    random.dispose();
  }
  scores.sort((a, b) => a - b);
  const score = scores[Math.min(scores.length - 1, Math.floor(settings.fraction * scores.length))] as number;
  return { score, fraction: settings.fraction, rounds: settings.rounds, images: scores.length };
}

/**
 * Images [texts.length, C, H, W] for the prompts with seeded noise; each draw scoring below the threshold is
 * drawn again (with the next noise of the same stream) up to `threshold.rounds` times, keeping its best draw.
 */
export function generateWithRejection(
  critic: RealnessCritic,
  texts: string[],
  seed: number,
  threshold: RejectionThreshold,
): Tensor {
  const text = encodePrompts(critic.tokenizer, texts);
  const random = new Generator(seed);
  const draws: Tensor[] = [];
  try {
    const first = drawAndScore(
      critic,
      text,
      texts.map((_, index) => index),
      random,
    );
    draws.push(first.images);
    // for each image: the draw it comes from (index in draws), its row there, and its score
    const kept = first.scores.map((score, row) => ({ draw: 0, row, score }));
    for (let round = 0; round < threshold.rounds; round++) {
      const redraw = kept.flatMap((choice, index) => (choice.score < threshold.score ? [index] : []));
      if (redraw.length === 0) break;
      const again = drawAndScore(critic, text, redraw, random);
      draws.push(again.images);
      redraw.forEach((index, row) => {
        const score = again.scores[row] as number;
        if (score > (kept[index]?.score ?? Infinity)) kept[index] = { draw: draws.length - 1, row, score };
      });
    }
    if (draws.length === 1) return draws.pop() as Tensor;
    return tidy(() =>
      cat(
        kept.map((choice) => (draws[choice.draw] as Tensor).narrow(0, choice.row, 1)),
        0,
      ),
    );
  } finally {
    dispose(draws);
    random.dispose();
    dispose(text);
  }
}

/** One line for reports: what was rejected and how. */
export function describeRejection(threshold: RejectionThreshold): string {
  return `discriminator rejection sampling: draws the discriminator scores below ${threshold.score.toFixed(3)} (the lowest ${(threshold.fraction * 100).toFixed(0)} % on ${threshold.images} training captions) are drawn again, up to ${threshold.rounds} times`;
}
