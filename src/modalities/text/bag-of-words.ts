// A caption as a bag of words: which vocabulary entries its tokens hold, one multi-hot row per caption (the
// words a picture should show, for text2image-gan's word classifier and joint-diffusion's caption-words heads).
import { type Tensor, arange, tidy, zeros } from '../../tensor/index.js';

/** Token ids [B, L] → multi-hot rows [B, V]; with `padId`, padding counts as no word. */
export function bagOfWords(tokens: Tensor, vocabularySize: number, padId?: number): Tensor {
  return tidy(() => {
    const [batch = 0] = tokens.shape;
    const present = zeros([batch, vocabularySize]).scatter(1, tokens, 1);
    return padId === undefined ? present : present.mul(arange(vocabularySize).ne(padId).float().unsqueeze(0));
  });
}
