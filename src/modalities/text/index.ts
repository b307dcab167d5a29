// modalities/text: normalisation, character/word tokenizers with special tokens, vocabularies, JSON
// save/load, padded batches with masks; the attention text decoder and greedy/beam/sampled decoding.
export {
  normalizeText,
  canonicalCaption,
  resolveNormalization,
  defaultNormalization,
  type NormalizeOptions,
  type Normalization,
} from './normalize.js';
export {
  Tokenizer,
  specialTokens,
  splitTokens,
  type TokenLevel,
  type VocabularyOptions,
  type EncodeOptions,
  type BatchOptions,
  type EncodedBatch,
  type DecodeOptions,
  type TokenizerJson,
} from './tokenizer.js';
export {
  AttentionDecoder,
  type AttentionDecoderOptions,
  type DecoderState,
  type DecodingState,
} from './attention-decoder.js';
export {
  greedyDecode,
  beamSearch,
  sampleDecode,
  lengthPenaltyOf,
  type StepModel,
  type DecodedSequence,
  type DecodeSettings,
  type BeamSettings,
  type SampleSettings,
} from './decoding.js';
export { bagOfWords } from './bag-of-words.js';
export {
  consensusChoice,
  sentenceBleu,
  ngramCosine,
  type ConsensusCandidate,
  type ConsensusSettings,
} from './consensus.js';
export {
  searchText,
  checkBeamWidth,
  checkConsensus,
  type GenerateTextOptions,
  type GeneratedText,
  type SamplingOptions,
} from './generate.js';
