// Text normalisation applied before tokenising, the same at vocabulary-building and encoding time.

export interface NormalizeOptions {
  /** Default true. */
  lowercase?: boolean;
  /** Unicode NFKC (folds compatibility forms such as ligatures and full-width letters); default true. */
  nfkc?: boolean;
  /** Runs of whitespace become one space, ends trimmed; default true. */
  collapseWhitespace?: boolean;
  /** Apostrophes vanish ("don't" → "dont"), other punctuation becomes a space; default false. */
  stripPunctuation?: boolean;
}

export type Normalization = Required<NormalizeOptions>;

export const defaultNormalization: Normalization = {
  lowercase: true,
  nfkc: true,
  collapseWhitespace: true,
  stripPunctuation: false,
};

/** The four settings, defaults filled in (other keys of options are ignored). */
export function resolveNormalization(options: NormalizeOptions = {}): Normalization {
  return {
    lowercase: options.lowercase ?? defaultNormalization.lowercase,
    nfkc: options.nfkc ?? defaultNormalization.nfkc,
    collapseWhitespace: options.collapseWhitespace ?? defaultNormalization.collapseWhitespace,
    stripPunctuation: options.stripPunctuation ?? defaultNormalization.stripPunctuation,
  };
}

export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  if (typeof text !== 'string') throw new Error(`normalizeText expects a string, got ${typeof text}`);
  const settings = resolveNormalization(options);
  let result = settings.nfkc ? text.normalize('NFKC') : text;
  if (settings.lowercase) result = result.toLowerCase();
  if (settings.stripPunctuation) result = result.replace(/['’ʼ]/gu, '').replace(/[\p{P}\p{S}]/gu, ' ');
  if (settings.collapseWhitespace) result = result.replace(/\s+/gu, ' ').trim();
  return result;
}

/** Lower-cased word and punctuation tokens joined by single spaces: "A T-shirt" → "a t - shirt". */
export function canonicalCaption(text: string): string {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]/gu) ?? []
  ).join(' ');
}
