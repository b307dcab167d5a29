// text2image-gan's loss terms and batch helpers: the caption words an image should show, the mode-seeking pairs,
// and which rows a rolled caption mismatches.
import { type Tensor, cat, tidy } from '../../tensor/index.js';
import { bceWithLogits } from '../../nn/index.js';
import type { TextBatch } from '../prompts.js';

/**
 * Binary cross-entropy summed over the vocabulary, averaged over the batch: each word weighs as much as an
 * AC-GAN class does (a mean over a vocabulary of V words would dilute every word's gradient V-fold).
 */
export function wordLossOf(logits: Tensor, words: Tensor): Tensor {
  return bceWithLogits(logits, words, { reduction: 'sum' }).div(logits.shape[0] ?? 1);
}

/**
 * The generator's batch for the mode-seeking term: the first half of the captions twice, so row i and row
 * i + B/2 share a caption and differ only in their noise.
 */
export function pairedCaptions(
  text: TextBatch,
  words: Tensor | undefined,
): { text: TextBatch; words: Tensor | undefined } {
  const half = Math.max(1, Math.floor((text.tokens.shape[0] ?? 0) / 2));
  const twice = (x: Tensor): Tensor =>
    tidy(() => {
      const first = x.narrow(0, 0, half);
      return cat([first, first], 0);
    });
  return {
    text: { tokens: twice(text.tokens), lengths: twice(text.lengths) },
    words: words ? twice(words) : undefined,
  };
}

/** MSGAN's term: 1 / (mean |image1 − image2| / mean |noise1 − noise2|) over the pairs (row i, row i + B/2). */
export function modeSeekingLoss(images: Tensor, noise: Tensor): Tensor {
  const half = Math.floor((images.shape[0] ?? 0) / 2);
  const imageDistance = images
    .narrow(0, 0, half)
    .sub(images.narrow(0, half, half))
    .abs()
    .mean();
  const noiseDistance = noise
    .narrow(0, 0, half)
    .sub(noise.narrow(0, half, half))
    .abs()
    .mean();
  return imageDistance.div(noiseDistance).add(1e-5).reciprocal();
}

/** Rows whose caption differs from the caption they are paired with after rolling by one. */
export function mismatchMask(tokens: Tensor): Tensor {
  return tidy(() =>
    tokens
      .ne(tokens.roll([1], [0]))
      .any(1)
      .float(),
  );
}
