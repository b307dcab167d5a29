// What each modality of a joint-diffusion draw says in words, for ranking draws (sampling.captionWords): a
// picture's or sound's caption-words head reads its latent; a caption is its own words, given or written out.
import { bagOfWords } from '../../modalities/text/index.js';
import { type Tensor, noGrad, tidy } from '../../tensor/index.js';
import type { JointAutoencoders } from './autoencoders.js';
import { type WordsView, writtenWords } from './caption-words.js';
import { TextPart, type TokenBatch, noPrivate } from './parts.js';

/**
 * Each modality's caption words on standardised latents [B, M·D]: a head's reading where one exists; for
 * text, the given caption's words when `captions` come, else with `writeText` the words of the caption its
 * latent decodes to (greedy); undefined elsewhere. No gradients.
 */
export function wordViews(
  autoencoders: JointAutoencoders,
  standardised: Tensor,
  captions?: TokenBatch,
  writeText = false,
): (WordsView | undefined)[] {
  const vocabularySize = autoencoders.names.map((_, m) => autoencoders.wordHead(m)).find(Boolean)?.outFeatures;
  return noGrad(() =>
    autoencoders.names.map((name, m) => {
      const head = autoencoders.wordHead(m);
      if (head) {
        const logits = tidy(() => head.forward(autoencoders.rawOf(standardised, m)));
        return { logits, words: logits.sigmoid() };
      }
      if (name !== 'text' || vocabularySize === undefined) return undefined;
      if (captions) return { words: bagOfWords(captions.tokens, vocabularySize) };
      const part = autoencoders.parts[m];
      if (!writeText || !(part instanceof TextPart)) return undefined;
      const raw = autoencoders.rawOf(standardised, m);
      const none = noPrivate(raw.shape[0] ?? 0);
      try {
        return { words: writtenWords(part.write(raw, none), part.tokenizer, vocabularySize) };
      } finally {
        raw.dispose();
        none.dispose();
      }
    }),
  );
}
