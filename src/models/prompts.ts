// Turning user prompts into token batches, with the errors a user needs: empty, too long, unknown words.
import type { Tokenizer } from '../modalities/text/index.js';
import { type Tensor, tensor } from '../tensor/index.js';

export interface TextBatch {
  tokens: Tensor;
  lengths: Tensor;
}

export const MAX_PROMPT_WORDS = 32;

export function encodePrompts(tokenizer: Tokenizer, texts: string[]): TextBatch {
  if (texts.length === 0) throw new Error('no prompts given');
  const encoded = texts.map((text) => {
    if (text.trim() === '')
      throw new Error('the prompt is empty; describe what to generate, e.g. --text "big blue heart at top left"');
    const words = tokenizer.tokenize(text);
    if (words.length > MAX_PROMPT_WORDS)
      throw new Error(`the prompt has ${words.length} words; at most ${MAX_PROMPT_WORDS} are allowed`);
    const unknown = words.filter((word) => tokenizer.tokenToId(word) === tokenizer.unkId);
    if (unknown.length > 0) {
      const known = tokenizer.tokens.slice(4).join(', ');
      throw new Error(
        `the prompt "${text}" has word${unknown.length > 1 ? 's' : ''} outside the vocabulary: ${unknown.join(', ')}. Known words: ${known}`,
      );
    }
    return words.map((word) => tokenizer.tokenToId(word));
  });
  const width = Math.max(...encoded.map((ids) => ids.length));
  const flat = new BigInt64Array(texts.length * width);
  encoded.forEach((ids, row) => ids.forEach((id, column) => (flat[row * width + column] = BigInt(id))));
  return {
    tokens: tensor(flat, { shape: [texts.length, width] }),
    lengths: tensor(BigInt64Array.from(encoded, (ids) => BigInt(ids.length))),
  };
}

/** A caption with the words outside the vocabulary taken out, and which ones they were. */
export interface KnownWordsPrompt {
  prompt: string;
  unknown: string[];
}

/**
 * Keeps the caption's known words, in order. Evaluation uses it for test captions that name things training
 * never saw (an unseen emoji's name): the model is asked for what it can read, and the report says what it could not.
 */
export function keepKnownWords(tokenizer: Tokenizer, text: string): KnownWordsPrompt {
  const words = tokenizer.tokenize(text);
  const known = words.filter((word) => tokenizer.tokenToId(word) !== tokenizer.unkId);
  return { prompt: known.join(' '), unknown: words.filter((word) => tokenizer.tokenToId(word) === tokenizer.unkId) };
}
