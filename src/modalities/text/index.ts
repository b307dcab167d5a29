// modalities/text: normalisation, character/word tokenizers with special tokens, vocabularies,
// JSON save/load, and padded batches with masks.
export { normalizeText, resolveNormalization, defaultNormalization, type NormalizeOptions, type Normalization } from './normalize.js';
export {
  Tokenizer, specialTokens, splitTokens,
  type TokenLevel, type VocabularyOptions, type EncodeOptions, type BatchOptions, type EncodedBatch, type DecodeOptions, type TokenizerJson,
} from './tokenizer.js';
