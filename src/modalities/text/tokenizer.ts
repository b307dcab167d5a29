// Character- and word-level tokenizers with a vocabulary built from a corpus, special tokens
// (pad = 0, bos = 1, eos = 2, unk = 3), JSON save/load, and padded batches as tensors.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { tensor, type Tensor } from '../../tensor/index.js';
import { writeFileAtomic } from '../../data/files.js';
import { normalizeText, resolveNormalization, type Normalization, type NormalizeOptions } from './normalize.js';

export type TokenLevel = 'char' | 'word';
export const specialTokens = { pad: '<pad>', bos: '<bos>', eos: '<eos>', unk: '<unk>' } as const;
const specialList = [specialTokens.pad, specialTokens.bos, specialTokens.eos, specialTokens.unk];

export interface VocabularyOptions extends NormalizeOptions {
  level: TokenLevel;
  /** Tokens seen fewer times are left out (they encode as unk); default 1. */
  minFrequency?: number;
  /** Largest vocabulary, the four special tokens included; the most frequent tokens are kept. */
  maxSize?: number;
}

export interface EncodeOptions {
  addBos?: boolean;
  addEos?: boolean;
  /** Most ids per text, bos/eos included. */
  maxLength?: number;
  /** Cut over-long texts (eos kept at the end) instead of throwing; default false. */
  truncate?: boolean;
  /** Encode an empty text as just bos/eos instead of throwing; default false. */
  allowEmpty?: boolean;
}

export interface BatchOptions extends EncodeOptions {
  /** Pad every row to maxLength rather than to the longest text of the batch. */
  fixedLength?: boolean;
}

export interface EncodedBatch {
  /** int64 [B, T], padded with pad = 0. */
  ids: Tensor;
  /** bool [B, T], true on real tokens. */
  mask: Tensor;
  lengths: number[];
}

export interface DecodeOptions {
  /** Leave out pad/bos/eos/unk; default true. */
  skipSpecial?: boolean;
  /** Stop at the first eos; default true. */
  stopAtEos?: boolean;
}

const wordPattern = /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]/gu;
const attachLeft = /^[.,!?;:%)\]}…]$/u;
const attachRight = /^[([{]$/u;

const tokenizerFile = z.object({
  format: z.literal('mmgen-tokenizer'),
  version: z.literal(1),
  level: z.enum(['char', 'word']),
  normalization: z.object({
    lowercase: z.boolean(),
    nfkc: z.boolean(),
    collapseWhitespace: z.boolean(),
    stripPunctuation: z.boolean(),
  }),
  tokens: z.array(z.string()).min(4),
});
export type TokenizerJson = z.infer<typeof tokenizerFile>;

export class Tokenizer {
  readonly padId = 0;
  readonly bosId = 1;
  readonly eosId = 2;
  readonly unkId = 3;
  private readonly ids: Map<string, number>;

  constructor(
    readonly level: TokenLevel,
    readonly tokens: readonly string[],
    readonly normalization: Normalization,
  ) {
    if (level !== 'char' && level !== 'word')
      throw new Error(`tokenizer level must be 'char' or 'word', got "${String(level)}"`);
    specialList.forEach((special, index) => {
      if (tokens[index] !== special)
        throw new Error(`token ${index} must be the special token ${special}, got ${JSON.stringify(tokens[index])}`);
    });
    this.ids = new Map(tokens.map((token, index) => [token, index]));
    if (this.ids.size !== tokens.length) throw new Error('the vocabulary has a token twice');
  }

  /** Counts tokens over a corpus and keeps the frequent ones: most frequent first, ties in code-point order. */
  static fromCorpus(corpus: Iterable<string>, options: VocabularyOptions): Tokenizer {
    const minFrequency = options.minFrequency ?? 1;
    const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    if (!Number.isInteger(minFrequency) || minFrequency < 1)
      throw new Error(`minFrequency must be a positive integer, got ${minFrequency}`);
    if (maxSize < specialList.length + 1)
      throw new Error(
        `maxSize must leave room for the ${specialList.length} special tokens and at least one more, got ${maxSize}`,
      );
    const normalization = resolveNormalization(options);
    const counts = new Map<string, number>();
    for (const text of corpus)
      for (const token of splitTokens(normalizeText(text, normalization), options.level))
        counts.set(token, (counts.get(token) ?? 0) + 1);
    const kept = [...counts.entries()]
      .filter(([token, count]) => count >= minFrequency && !specialList.includes(token as (typeof specialList)[number]))
      .sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, Math.max(0, maxSize - specialList.length))
      .map(([token]) => token);
    if (kept.length === 0)
      throw new Error(`the corpus gave no ${options.level} tokens seen at least ${minFrequency} times; is it empty?`);
    return new Tokenizer(options.level, [...specialList, ...kept], normalization);
  }

  get vocabularySize(): number {
    return this.tokens.length;
  }

  normalize(text: string): string {
    return normalizeText(text, this.normalization);
  }

  /** The normalised text split into tokens (strings). */
  tokenize(text: string): string[] {
    return splitTokens(this.normalize(text), this.level);
  }

  tokenToId(token: string): number {
    return this.ids.get(token) ?? this.unkId;
  }

  idToToken(id: number): string {
    const token = this.tokens[id];
    if (token === undefined || !Number.isInteger(id))
      throw new Error(`token id ${id} is outside the vocabulary (0..${this.tokens.length - 1})`);
    return token;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const tokens = this.tokenize(text);
    if (tokens.length === 0 && !(options.allowEmpty ?? false)) {
      throw new Error(
        `cannot encode an empty text (${JSON.stringify(text)} normalises to nothing); give a caption or pass allowEmpty: true`,
      );
    }
    const ids = tokens.map((token) => this.tokenToId(token));
    const front = options.addBos ? [this.bosId] : [];
    const back = options.addEos ? [this.eosId] : [];
    const maxLength = options.maxLength;
    if (maxLength !== undefined) {
      if (!Number.isInteger(maxLength) || maxLength < front.length + back.length + 1) {
        throw new Error(`maxLength must be an integer of at least ${front.length + back.length + 1}, got ${maxLength}`);
      }
      const room = maxLength - front.length - back.length;
      if (ids.length > room) {
        if (!(options.truncate ?? false)) {
          throw new Error(
            `text ${JSON.stringify(shorten(text))} has ${ids.length + front.length + back.length} tokens, more than maxLength ${maxLength}; pass truncate: true or raise maxLength`,
          );
        }
        ids.length = room;
      }
    }
    return [...front, ...ids, ...back];
  }

  decode(ids: readonly number[] | Tensor, options: DecodeOptions = {}): string {
    const values = Array.isArray(ids) ? (ids as readonly number[]) : (idsOfTensor(ids as Tensor, 1)[0] ?? []);
    const skipSpecial = options.skipSpecial ?? true;
    const pieces: string[] = [];
    for (const id of values) {
      if ((options.stopAtEos ?? true) && id === this.eosId) break;
      if (skipSpecial && id < specialList.length && id >= 0) continue;
      pieces.push(this.idToToken(id));
    }
    return this.level === 'char' ? pieces.join('') : joinWords(pieces);
  }

  /** Decodes each row of an int [B, T] tensor. */
  decodeBatch(ids: Tensor, options: DecodeOptions = {}): string[] {
    return idsOfTensor(ids, 2).map((row) => this.decode(row, options));
  }

  /** Texts as padded int64 ids and a bool mask; T is the longest text (or maxLength with fixedLength). */
  encodeBatch(texts: readonly string[], options: BatchOptions = {}): EncodedBatch {
    if (texts.length === 0) throw new Error('encodeBatch needs at least one text');
    if (options.fixedLength && options.maxLength === undefined) throw new Error('fixedLength needs maxLength');
    const rows = texts.map((text, index) => {
      try {
        return this.encode(text, options);
      } catch (error) {
        throw new Error(`text ${index} of the batch: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    });
    const lengths = rows.map((row) => row.length);
    const width = options.fixedLength ? (options.maxLength as number) : Math.max(1, ...lengths);
    const ids = new BigInt64Array(rows.length * width);
    const mask = new Uint8Array(rows.length * width);
    rows.forEach((row, b) =>
      row.forEach((id, t) => {
        ids[b * width + t] = BigInt(id);
        mask[b * width + t] = 1;
      }),
    );
    return {
      ids: tensor(ids, { shape: [rows.length, width] }),
      mask: tensor(mask, { shape: [rows.length, width], dtype: 'bool' }),
      lengths,
    };
  }

  toJSON(): TokenizerJson {
    return {
      format: 'mmgen-tokenizer',
      version: 1,
      level: this.level,
      normalization: { ...this.normalization },
      tokens: [...this.tokens],
    };
  }

  static fromJSON(value: unknown, source = 'tokenizer JSON'): Tokenizer {
    const parsed = tokenizerFile.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `${source} is not an mmgen tokenizer: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
      );
    }
    try {
      return new Tokenizer(parsed.data.level, parsed.data.tokens, parsed.data.normalization);
    } catch (error) {
      throw new Error(`${source}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** Writes the tokenizer as JSON (temporary name, then rename). */
  async save(path: string): Promise<void> {
    await writeFileAtomic(path, `${JSON.stringify(this.toJSON())}\n`);
  }

  static async load(path: string): Promise<Tokenizer> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        `cannot read tokenizer ${path}: ${code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new Error(
        `tokenizer ${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return Tokenizer.fromJSON(value, `tokenizer ${path}`);
  }
}

export function splitTokens(normalized: string, level: TokenLevel): string[] {
  return level === 'char' ? Array.from(normalized) : (normalized.match(wordPattern) ?? []);
}

function joinWords(words: string[]): string {
  let out = '';
  for (const [index, word] of words.entries()) {
    const previous = words[index - 1];
    const glue =
      index === 0 || attachLeft.test(word) || (previous !== undefined && attachRight.test(previous)) ? '' : ' ';
    out += glue + word;
  }
  return out;
}

function idsOfTensor(ids: Tensor, rank: 1 | 2): number[][] {
  const shape = ids.shape;
  if (shape.length !== rank)
    throw new Error(`expected a ${rank === 1 ? '[T]' : '[B, T]'} tensor of token ids, got [${shape.join(', ')}]`);
  if (ids.dtype !== 'int64' && ids.dtype !== 'int32' && ids.dtype !== 'uint8')
    throw new Error(`token ids must be an integer tensor, got ${ids.dtype}`);
  const flat = ids.toFlatArray();
  const width = shape[rank - 1] ?? 0;
  const rows = rank === 1 ? 1 : (shape[0] ?? 0);
  return Array.from({ length: rows }, (_, row) => flat.slice(row * width, (row + 1) * width));
}

const shorten = (text: string): string => (text.length > 60 ? `${text.slice(0, 57)}...` : text);
