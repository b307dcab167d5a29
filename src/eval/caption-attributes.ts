// The CdSprites+ image→text protocol (Sejnova et al.): Strict — the whole caption right; Feats —
// attributes read back from the caption's words, scored as in attributes.ts; Letters — position-wise
// character match with the reference. Chance beside each: Strict/Feats from the attribute values,
// Letters from guessing uniformly among the dataset's distinct captions.
import { type AttributeScores, attributeTargets, scoreAttributes } from './attributes.js';

export { canonicalCaption } from '../modalities/text/normalize.js';
import { canonicalCaption } from '../modalities/text/normalize.js';

/** A caption word matches a value word as it is or in the plural ("trousers" names "trouser"). */
const wordMatches = (word: string, valueWord: string): boolean =>
  word === valueWord || word === `${valueWord}s` || word === `${valueWord}es`;

/**
 * The value of each attribute a caption names: the value whose words appear in sequence, the longest
 * one when several do ("t-shirt" over "shirt"); -1 when none or two different values of that length do.
 */
export function parseAttributes(
  caption: string,
  attributes: Readonly<Record<string, readonly string[]>>,
): Record<string, number> {
  const words = canonicalCaption(caption).split(' ');
  const parsed: Record<string, number> = {};
  for (const [name, values] of Object.entries(attributes)) {
    let best = -1;
    let bestLength = 0;
    let ambiguous = false;
    values.forEach((value, index) => {
      const valueWords = canonicalCaption(value).split(' ');
      const length = valueWords.length;
      for (let start = 0; start + length <= words.length; start++) {
        if (!valueWords.every((valueWord, offset) => wordMatches(words[start + offset] as string, valueWord))) continue;
        if (length > bestLength) {
          best = index;
          bestLength = length;
          ambiguous = false;
        } else if (length === bestLength && index !== best) ambiguous = true;
      }
    });
    parsed[name] = ambiguous ? -1 : best;
  }
  return parsed;
}

/** Position-wise character match: equal characters at equal positions over the longer length. */
export function letterMatch(hypothesis: string, reference: string): number {
  const a = canonicalCaption(hypothesis);
  const b = canonicalCaption(reference);
  const length = Math.max(a.length, b.length);
  if (length === 0) return 1;
  let same = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] === b[i]) same++;
  return same / length;
}

export interface CaptionAttributeScores {
  captions: number;
  strict: { value: number; chance: number };
  letters: { value: number; chance: number };
  /** Attributes read from the words (Feats, per attribute, and the attribute Strict beside it). */
  attributes: AttributeScores;
}

export interface CaptionWithTruth {
  hypothesis: string;
  reference: string;
  attributes: Readonly<Record<string, string>>;
}

/** Scores captions against their references and attributes; `vocabularyOfCaptions` are the distinct captions a guesser would choose among. */
export function scoreCaptionAttributes(
  items: readonly CaptionWithTruth[],
  attributes: Readonly<Record<string, readonly string[]>>,
  distinctCaptions: readonly string[],
): CaptionAttributeScores {
  if (items.length === 0) throw new Error('scoreCaptionAttributes needs at least one caption');
  const names = Object.keys(attributes);
  const predictions = new Map<string, Int32Array>(names.map((name) => [name, new Int32Array(items.length)]));
  let strict = 0;
  let letters = 0;
  items.forEach((item, row) => {
    if (canonicalCaption(item.hypothesis) === canonicalCaption(item.reference)) strict++;
    letters += letterMatch(item.hypothesis, item.reference);
    const parsed = parseAttributes(item.hypothesis, attributes);
    for (const name of names) (predictions.get(name) as Int32Array)[row] = parsed[name] as number;
  });
  const targets = attributeTargets(
    items.map((item) => item.attributes),
    attributes,
  );
  const valueCounts = Object.fromEntries(names.map((name) => [name, (attributes[name] as readonly string[]).length]));
  const scores = scoreAttributes(predictions, targets, valueCounts);
  const guesses = [...new Set(distinctCaptions.map(canonicalCaption))];
  let letterChance = 0;
  for (const item of items)
    letterChance +=
      guesses.reduce((sum, guess) => sum + letterMatch(guess, item.reference), 0) / Math.max(1, guesses.length);
  return {
    captions: items.length,
    strict: { value: strict / items.length, chance: scores.strict.chance },
    letters: { value: letters / items.length, chance: letterChance / items.length },
    attributes: scores,
  };
}
