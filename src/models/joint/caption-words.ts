// The caption-words term of joint-diffusion's first stage (training.autoencoder.captionWords): a picture or
// sound latent also predicts which words its row's caption holds, through a linear head, by binary
// cross-entropy. The reconstruction error alone keeps in a latent what covers many pixels; a small shape's
// outline is a few pixels under a textured background, so two shapes the caption tells apart can share a
// latent. The head only trains the encoder: inference never reads it.
import { Linear, bceWithLogits } from '../../nn/index.js';
import { type Tensor, tidy, zeros } from '../../tensor/index.js';
import type { TokenBatch } from './parts.js';

/** The head of a modality's latent [B, D] → one logit per vocabulary word. */
export function captionWordsHead(latentDim: number, vocabularySize: number): Linear {
  return new Linear(latentDim, vocabularySize);
}

/** A state key of a caption-words head (`imageWords.weight`): training-only weights a reusing run may drop. */
export const isCaptionWordsKey = (key: string): boolean => /^[a-z]+Words\./.test(key);

/**
 * Mean over rows with both the modality and a caption of Σ_words BCE(head(latent), word in caption): the
 * caption's tokens as a multi-hot row (its start, end and padding tokens included: constant or a length cue).
 */
export function captionWordsLoss(head: Linear, latent: Tensor, captions: TokenBatch, presence: Tensor): Tensor {
  return tidy(() => {
    const logits = head.forward(latent);
    const words = zeros(logits.shape).scatter(1, captions.tokens, 1);
    const perRow = bceWithLogits(logits, words, { reduction: 'none' }).sum(1);
    return perRow.mul(presence).sum().div(presence.sum().clamp(1));
  });
}
