// Captions as the joint recipes' text part reads them: bos … eos token ids, padded into a batch. User
// prompts are checked first (empty, too long, words outside the vocabulary) with the one-way recipes' errors.
import type { Tokenizer } from '../../modalities/text/index.js';
import type { GeneratedText } from '../../modalities/text/generate.js';
import { tensor } from '../../tensor/index.js';
import { encodePrompts } from '../prompts.js';
import type { TokenBatch } from './parts.js';

/** bos … eos of a caption; an empty caption (a sample without text) is just bos, eos. */
function ids(tokenizer: Tokenizer, text: string): number[] {
  return tokenizer.encode(text, { addBos: true, addEos: true, allowEmpty: true });
}

/** Checked prompts → a padded batch of bos … eos ids. */
function batch(tokenizer: Tokenizer, texts: readonly string[]): TokenBatch {
  const checked = encodePrompts(tokenizer, [...texts]);
  checked.tokens.dispose();
  checked.lengths.dispose();
  return padded(
    tokenizer,
    texts.map((text) => ids(tokenizer, text)),
  );
}

/** Rows of ids → a batch padded to the longest. */
function padded(tokenizer: Tokenizer, rows: readonly number[][]): TokenBatch {
  const width = Math.max(2, ...rows.map((row) => row.length));
  const flat = new BigInt64Array(rows.length * width).fill(BigInt(tokenizer.padId));
  rows.forEach((row, index) => row.forEach((id, column) => (flat[index * width + column] = BigInt(id))));
  return {
    tokens: tensor(flat, { shape: [rows.length, width] }),
    lengths: tensor(BigInt64Array.from(rows, (row) => BigInt(row.length))),
  };
}

export const encodeCaptions = { ids, batch };

/** Written captions → a padded batch of bos … eos ids (their own tokens: an empty caption is bos, eos). */
export function captionBatch(tokenizer: Tokenizer, captions: readonly GeneratedText[]): TokenBatch {
  return padded(
    tokenizer,
    captions.map((caption) => [tokenizer.bosId, ...caption.tokens, tokenizer.eosId]),
  );
}
