// data/: the on-disk dataset format, the loader and seeded batches. Builders (which use the codecs
// in modalities/) live one layer up, in data/builders/.
export {
  FORMAT_VERSION,
  SPLITS,
  DATASET_FILE,
  MANIFEST_FILE,
  readDataset,
  parseManifest,
  serializeManifest,
  captionWords,
  describeText,
  countSplits,
  mmgenVersion,
  manifestEntrySchema,
  datasetInfoSchema,
  type Split,
  type ManifestEntry,
  type DatasetInfo,
  type ImageInfo,
  type AudioInfo,
  type TextInfo,
  type Dataset,
} from './format.js';
export { loadSplit, type LoadOptions, type LoadedSplit, type TextEncoder, type TextLoadOptions } from './loader.js';
export { BatchLoader, disposeBatch, type Batch, type BatchCursor, type BatchOptions } from './batches.js';
export { buildAtomically, stagingPrefix, type StagingOptions } from './staging.js';
export { type DataEvent, type DataEventHandler, type ProgressEvent, type NoticeEvent } from './events.js';
export { Random, mixSeed } from './random.js';
