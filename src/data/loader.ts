// Reads one split of a dataset into contiguous tensors, once: images [N,C,H,W] (float in [-1,1] or
// uint8), audio [N,samples] float, tokens [N,L] int64 with lengths, attribute labels [N] int64.
import { join } from 'node:path';
import { Tensor, keep, tensor, tidy } from '../tensor/index.js';
import { decodeDatasetAudio, decodeDatasetImage } from './decode.js';
import { progressReporter, type DataEventHandler } from './events.js';
import { runPool } from './pool.js';
import { readDataset, type Dataset, type ManifestEntry, type Split } from './format.js';

/** What the loader needs of a tokenizer (modalities/text tokenizers fit it). */
export interface TextEncoder {
  encode(text: string): number[];
  readonly padId?: number;
}

export interface TextLoadOptions {
  tokenizer: TextEncoder;
  /** Token id used to pad shorter captions; default the tokenizer's padId, else 0. */
  padId?: number;
  /** Longer captions are cut; default the longest caption of the split. */
  maxTokens?: number;
}

export interface LoadOptions {
  split: Split;
  /** 'float32' scales to [-1, 1]; 'uint8' keeps the bytes; false skips images. Default float32. */
  images?: 'float32' | 'uint8' | false;
  /** Default true when the dataset has audio. */
  audio?: boolean;
  text?: TextLoadOptions;
  /** Only the first `limit` samples of the split (manifest order). */
  limit?: number;
  /** Files decoded at once. */
  concurrency?: number;
  onEvent?: DataEventHandler;
  signal?: AbortSignal;
  /**
   * 'allow': a sample may lack its image, audio or text (an empty caption); the gap is filled with zeros
   * (a black picture, silence, an empty caption) and `presence` says which samples have each modality.
   * Default 'error': every sample must have every modality the dataset has.
   */
  missing?: 'error' | 'allow';
}

/** The modalities a sample can have. */
export type PresenceName = 'image' | 'audio' | 'text';

export interface LoadedSplit {
  dataset: Dataset;
  split: Split;
  entries: ManifestEntry[];
  size: number;
  images?: Tensor;
  audio?: Tensor;
  tokens?: Tensor;
  lengths?: Tensor;
  /** Attribute name → value index per sample (indices into dataset.info.attributes[name]). */
  labels: Map<string, Tensor>;
  /** With `missing: 'allow'`: float [N] per loaded modality, 1 where the sample has it. */
  presence: Map<PresenceName, Tensor>;
  /** Frees every tensor of the split. */
  dispose(): void;
}

function stackTokens(entries: readonly ManifestEntry[], options: TextLoadOptions): { tokens: Tensor; lengths: Tensor } {
  const encoded = entries.map((entry) => options.tokenizer.encode(entry.text));
  const padId = options.padId ?? options.tokenizer.padId ?? 0;
  const width = Math.max(1, options.maxTokens ?? encoded.reduce((longest, ids) => Math.max(longest, ids.length), 0));
  const flat = new BigInt64Array(entries.length * width).fill(BigInt(padId));
  const lengths = new BigInt64Array(entries.length);
  encoded.forEach((ids, row) => {
    const length = Math.min(ids.length, width);
    for (let i = 0; i < length; i++) flat[row * width + i] = BigInt(ids[i] ?? padId);
    lengths[row] = BigInt(length);
  });
  return { tokens: tensor(flat, { shape: [entries.length, width] }), lengths: tensor(lengths) };
}

/** Loads a split of the dataset in `source` (a folder or an already read dataset). */
export async function loadSplit(source: string | Dataset, options: LoadOptions): Promise<LoadedSplit> {
  const dataset = typeof source === 'string' ? await readDataset(source) : source;
  const { info } = dataset;
  let entries = dataset.entries.filter((entry) => entry.split === options.split);
  if (options.limit !== undefined) entries = entries.slice(0, options.limit);
  const count = entries.length;
  if (count === 0)
    throw new Error(
      `${dataset.dir} has no samples in split "${options.split}" (splits: train ${info.splits.train}, val ${info.splits.val}, test ${info.splits.test})`,
    );
  const concurrency = options.concurrency ?? 8;
  const imageMode = options.images ?? 'float32';
  const wantImages = imageMode !== false && info.modalities.image !== undefined;
  const wantAudio = (options.audio ?? true) && info.modalities.audio !== undefined;
  const allowMissing = options.missing === 'allow';

  let imageBytes: Uint8Array | undefined;
  const imageInfo = info.modalities.image;
  if (wantImages && imageInfo) {
    const perImage = imageInfo.width * imageInfo.height * imageInfo.channels;
    imageBytes = new Uint8Array(count * perImage);
    const report = progressReporter(options.onEvent, count, `reading ${options.split} images`);
    await runPool(
      count,
      concurrency,
      async (index) => {
        const entry = entries[index] as ManifestEntry;
        if (entry.image === undefined && allowMissing) return;
        if (entry.image === undefined)
          throw new Error(`${dataset.dir}: sample ${entry.id} has no image but the dataset has the image modality`);
        (imageBytes as Uint8Array).set(
          await decodeDatasetImage(join(dataset.dir, entry.image), imageInfo),
          index * perImage,
        );
      },
      report,
      options.signal,
    );
  }

  let audioSamples: Float32Array | undefined;
  const audioInfo = info.modalities.audio;
  if (wantAudio && audioInfo) {
    audioSamples = new Float32Array(count * audioInfo.samples);
    const report = progressReporter(options.onEvent, count, `reading ${options.split} audio`);
    await runPool(
      count,
      concurrency,
      async (index) => {
        const entry = entries[index] as ManifestEntry;
        if (entry.audio === undefined && allowMissing) return;
        if (entry.audio === undefined)
          throw new Error(`${dataset.dir}: sample ${entry.id} has no audio but the dataset has the audio modality`);
        (audioSamples as Float32Array).set(
          await decodeDatasetAudio(join(dataset.dir, entry.audio), audioInfo),
          index * audioInfo.samples,
        );
      },
      report,
      options.signal,
    );
  }

  const tensors = tidy(() => {
    let images: Tensor | undefined;
    if (imageBytes && imageInfo) {
      const hwc = tensor(imageBytes, {
        shape: [count, imageInfo.height, imageInfo.width, imageInfo.channels],
        dtype: 'uint8',
      });
      const chw = hwc.permute(0, 3, 1, 2).contiguous();
      images = imageMode === 'uint8' ? chw : chw.float().div(127.5).sub(1);
    }
    const audio = audioSamples && audioInfo ? tensor(audioSamples, { shape: [count, audioInfo.samples] }) : undefined;
    const text = options.text ? stackTokens(entries, options.text) : undefined;
    const labels = new Map<string, Tensor>();
    for (const [name, values] of Object.entries(info.attributes ?? {})) {
      const indices = new BigInt64Array(count);
      entries.forEach((entry, row) => {
        const value = entry.attributes?.[name];
        const index = value === undefined ? -1 : values.indexOf(value);
        if (index < 0)
          throw new Error(
            `${dataset.dir}: sample ${entry.id} has ${name} "${value ?? '(missing)'}", not one of ${values.join(', ')}`,
          );
        indices[row] = BigInt(index);
      });
      labels.set(name, tensor(indices));
    }
    const presence = new Map<PresenceName, Tensor>();
    if (allowMissing) {
      const mask = (has: (entry: ManifestEntry) => boolean): Tensor =>
        tensor(Float32Array.from(entries, (entry) => (has(entry) ? 1 : 0)));
      if (images)
        presence.set(
          'image',
          mask((entry) => entry.image !== undefined),
        );
      if (audio)
        presence.set(
          'audio',
          mask((entry) => entry.audio !== undefined),
        );
      if (text)
        presence.set(
          'text',
          mask((entry) => entry.text.trim() !== ''),
        );
    }
    return { images, audio, tokens: text?.tokens, lengths: text?.lengths, labels, presence };
  });
  const owned = [
    tensors.images,
    tensors.audio,
    tensors.tokens,
    tensors.lengths,
    ...tensors.labels.values(),
    ...tensors.presence.values(),
  ].filter((t): t is Tensor => t !== undefined);
  for (const owner of owned) keep(owner);
  return {
    dataset,
    split: options.split,
    entries,
    size: count,
    ...(tensors.images ? { images: tensors.images } : {}),
    ...(tensors.audio ? { audio: tensors.audio } : {}),
    ...(tensors.tokens ? { tokens: tensors.tokens, lengths: tensors.lengths } : {}),
    labels: tensors.labels,
    presence: tensors.presence,
    dispose: () => {
      for (const owner of owned) owner.dispose();
    },
  };
}
