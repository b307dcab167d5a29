// The caption-words term of joint-diffusion's first stage (training.autoencoder.captionWords): a picture or
// sound latent also predicts which words its row's caption holds, through a linear head, by binary
// cross-entropy. The reconstruction error alone keeps in a latent what covers many pixels; a small shape's
// outline is a few pixels under a textured background, so two shapes the caption tells apart can share a
// latent. In sampling, the heads read each draw's modalities, so the draws whose words agree are kept
// (`sampling.captionWords`, with candidates above 1).
import { type Linear, bceWithLogits } from '../../nn/index.js';
import { type GeneratedText, bagOfWords } from '../../modalities/text/index.js';
import { type Tensor, tensor, tidy } from '../../tensor/index.js';
import type { TokenBatch } from './parts.js';

/** A state key of a caption-words head (`imageWords.weight`): optional weights a reusing run may drop. */
export const isCaptionWordsKey = (key: string): boolean => /^[a-z]+Words\./.test(key);

/**
 * Mean over rows with both the modality and a caption of Σ_words BCE(head(latent), word in caption): the
 * caption's tokens as a multi-hot row (its start, end and padding tokens included: constant or a length cue).
 */
export function captionWordsLoss(head: Linear, latent: Tensor, captions: TokenBatch, presence: Tensor): Tensor {
  return tidy(() => {
    const logits = head.forward(latent);
    // the start, end and padding tokens count too: constant, or a length cue
    const words = bagOfWords(captions.tokens, head.outFeatures);
    const perRow = bceWithLogits(logits, words, { reduction: 'none' }).sum(1);
    return perRow.mul(presence).sum().div(presence.sum().clamp(1));
  });
}

/** One modality's caption words in sampling: a head's logits with their probabilities, or a given caption's words. */
export interface WordsView {
  /** [B, V], from a caption-words head; absent for a given caption. */
  logits?: Tensor;
  /** [B, V] probabilities of each word. */
  words: Tensor;
}

/**
 * The words of captions a text latent decodes to, as the heads were trained to read them: multi-hot rows
 * [B, V] of bos, the caption's tokens and eos (padding, which only batching adds, counts as no word).
 */
export function writtenWords(
  captions: readonly GeneratedText[],
  tokenizer: { bosId: number; eosId: number; padId: number },
  vocabularySize: number,
): Tensor {
  const rows = captions.map((caption) => [tokenizer.bosId, ...caption.tokens, tokenizer.eosId]);
  const width = Math.max(...rows.map((row) => row.length));
  const flat = new BigInt64Array(rows.length * width).fill(BigInt(tokenizer.padId));
  rows.forEach((row, index) => row.forEach((id, column) => (flat[index * width + column] = BigInt(id))));
  const tokens = tensor(flat, { shape: [rows.length, width] });
  try {
    return bagOfWords(tokens, vocabularySize, tokenizer.padId);
  } finally {
    tokens.dispose();
  }
}

/**
 * Per draw [B], how far the words read from each output are from every other modality's: Σ over pairs of
 * BCE(logits, words) summed over the vocabulary. A translation compares each output with its given modalities,
 * a joint sample with all other outputs (as the denoising agreement does). An output with a head is read by
 * it; a written caption (words, no head) is read by its given modalities' heads. Undefined when no pair has
 * a head on one side and words on the other.
 */
export function wordsDisagreement(
  views: readonly (WordsView | undefined)[],
  held: readonly boolean[],
  outputs: readonly boolean[],
): Tensor | undefined {
  const translation = held.some(Boolean);
  const pairs = views.flatMap((output, o) => {
    if (!output || !outputs[o] || held[o]) return [];
    return views.flatMap((source, s) => {
      if (!source || s === o || !(translation ? held[s] : outputs[s])) return [];
      if (output.logits) return [{ logits: output.logits, words: source.words }];
      // a joint sample's other output already reads this caption from its own side
      return translation && source.logits ? [{ logits: source.logits, words: output.words }] : [];
    });
  });
  if (pairs.length === 0) return undefined;
  return tidy(() =>
    pairs
      .map(({ logits, words }) => bceWithLogits(logits, words, { reduction: 'none' }).sum(1))
      .reduce((sum, term) => sum.add(term)),
  );
}

/** The redrawn-words term's gradient at the decoded pixels, added to the reconstruction's. */
export interface RedrawnWordsGradient {
  gradient: Tensor;
  /** The term itself: the caption-words loss of the decoded pictures encoded again. */
  redrawn: number;
  /** The scale that makes the term's gradient as large as the reconstruction's before `weight`. */
  balance: number;
}

/**
 * training.autoencoder.redrawnWords: the decoded pictures, encoded again by the picture encoder (its weights
 * held: `wordsOf` reads them without a graph to them), must predict their caption's words too. The latent
 * knows a small shape's class where squared error still draws it as a round blob (the mean over its unknown
 * tilt); this asks the decoder for a picture that reads as that class. Its gradient at the pixels is scaled to
 * `weight` times the reconstruction's, as the adversarial term's is.
 */
export function redrawnWordsGradient(
  wordsOf: (pixels: Tensor) => Tensor,
  decoded: Tensor,
  reconstructionGradient: Tensor,
  weight: number,
): RedrawnWordsGradient {
  return tidy(() => {
    const pixels = decoded.detach().requiresGrad_();
    const loss = wordsOf(pixels);
    loss.backward();
    const wordsGradient = pixels.grad as Tensor;
    const balance = reconstructionGradient.norm().div(wordsGradient.norm().add(1e-8)).clamp(0, 1e4).item();
    const gradient = reconstructionGradient.add(wordsGradient.mul(balance * weight));
    return { gradient, redrawn: loss.item(), balance };
  });
}
