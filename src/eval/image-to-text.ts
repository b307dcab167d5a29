// The image→text protocol: caption every image of the test split, score the captions with BLEU-1…4 and
// CIDEr-D against the sample's references and, where the dataset has attributes, with the CdSprites+
// Strict/Feats/Letters protocol; beside them a nearest-neighbour baseline that answers with the
// caption of the training image closest in a feature space (a judge's, or the captioner's own).
import { type Tensor, tidy } from '../tensor/index.js';
import type { DataEventHandler } from '../data/events.js';
import { type Dataset, type ManifestEntry, readDataset } from '../data/format.js';
import { type LoadedSplit, loadSplit } from '../data/loader.js';
import { type FeatureSpace, checkAborted, floatBatch, splitFeatures } from '../data/split-features.js';

export { type FeatureSpace, splitFeatures } from '../data/split-features.js';
import { type CaptionAttributeScores, parseAttributes, scoreCaptionAttributes } from './caption-attributes.js';
import { captionWords, ciderD, corpusBleu } from './caption-metrics.js';

/** What the protocol needs of a captioner: captions and features of images [N, C, H, W] in [-1, 1]. */
export interface ImageCaptioner {
  caption(images: Tensor): string[];
}

export interface ImageToTextOptions {
  captioner: ImageCaptioner;
  neighbourSpace: FeatureSpace;
  dataset: string | Dataset;
  /** The split captioned and scored (default test, or val when the dataset has no test split). */
  split?: 'test' | 'val';
  /** Only the first N images of that split (default all). */
  limit?: number;
  /** Images per captioning call (default 100). */
  batchSize?: number;
  onEvent?: DataEventHandler;
  signal?: AbortSignal;
}

export interface CaptionScores {
  bleu: [number, number, number, number];
  ciderD: number;
  /** Present when the dataset has attributes. */
  protocol?: CaptionAttributeScores;
}

export interface ImageToTextEvaluation {
  dataset: { dir: string; name: string; options: Record<string, unknown> };
  split: string;
  images: number;
  neighbourSpace: string;
  trainImages: number;
  captioner: CaptionScores;
  nearestNeighbour: CaptionScores;
  seconds: { captioning: number; imagesPerSecond: number };
  examples: { id: string; reference: string; captioner: string; nearestNeighbour: string }[];
}

/** A sample's references: its caption and any alternative multi-word descriptions (single keywords are not captions). */
export function referencesOf(entry: ManifestEntry): string[] {
  return [entry.text, ...(entry.references ?? []).filter((reference) => captionWords(reference).length >= 2)];
}

/** Index of the nearest row of `reference` (Euclidean) for every row of `query`. */
export function nearestRows(query: Tensor, reference: Tensor, batchSize = 500): Int32Array {
  const nearest = new Int32Array(query.shape[0] ?? 0);
  const referenceSquares = tidy(() => reference.square().sum(1));
  try {
    for (let start = 0; start < nearest.length; start += batchSize) {
      const count = Math.min(batchSize, nearest.length - start);
      const indices = tidy(() => {
        const rows = query.narrow(0, start, count);
        // |q - r|² = |q|² - 2 q·r + |r|²; |q|² is the same for every r of a row
        return referenceSquares
          .unsqueeze(0)
          .sub(rows.matmul(reference.transpose(0, 1)).mul(2))
          .argmin(1);
      });
      const values = indices.toFlatArray();
      indices.dispose();
      values.forEach((value, offset) => {
        nearest[start + offset] = Number(value);
      });
    }
  } finally {
    referenceSquares.dispose();
  }
  return nearest;
}

/**
 * The attributes the captions themselves name (shapes: all; fashion-mnist: the class), or undefined:
 * an attribute counts when the reference captions of at least 99 % of the samples name its value
 * (emoji categories and vendors are attributes no caption says, so they are not scored from words).
 */
export function captionedAttributes(
  dataset: Dataset,
  entries: readonly ManifestEntry[],
): Record<string, string[]> | undefined {
  const attributes = dataset.info.attributes;
  if (!attributes || entries.length === 0 || entries.some((entry) => entry.attributes === undefined)) return undefined;
  const named = Object.entries(attributes).filter(([name, values]) => {
    const right = entries.filter(
      (entry) => values[parseAttributes(entry.text, { [name]: values })[name] ?? -1] === entry.attributes?.[name],
    ).length;
    return right >= 0.99 * entries.length;
  });
  return named.length > 0 ? Object.fromEntries(named) : undefined;
}

function scoreCaptions(
  hypotheses: readonly string[],
  entries: readonly ManifestEntry[],
  dataset: Dataset,
  distinctCaptions: readonly string[],
): CaptionScores {
  const pairs = hypotheses.map((hypothesis, index) => ({
    hypothesis,
    references: referencesOf(entries[index] as ManifestEntry),
  }));
  const scores: CaptionScores = { bleu: corpusBleu(pairs).bleu, ciderD: ciderD(pairs).score };
  const attributes = captionedAttributes(dataset, entries);
  if (attributes) {
    scores.protocol = scoreCaptionAttributes(
      hypotheses.map((hypothesis, index) => ({
        hypothesis,
        reference: (entries[index] as ManifestEntry).text,
        attributes: (entries[index] as ManifestEntry).attributes as Record<string, string>,
      })),
      attributes,
      distinctCaptions,
    );
  }
  return scores;
}

export async function evaluateImageToText(options: ImageToTextOptions): Promise<ImageToTextEvaluation> {
  const dataset = typeof options.dataset === 'string' ? await readDataset(options.dataset) : options.dataset;
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const split = options.split ?? (dataset.info.splits.test > 0 ? 'test' : 'val');
  const load = {
    images: 'uint8' as const,
    audio: false,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const test = await loadSplit(dataset, {
    split,
    ...load,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  let train: LoadedSplit | undefined;
  try {
    const captions: string[] = [];
    const started = performance.now();
    for (let start = 0; start < test.size; start += batchSize) {
      checkAborted(options.signal);
      const images = floatBatch(test, start, Math.min(batchSize, test.size - start));
      try {
        captions.push(...options.captioner.caption(images));
      } finally {
        images.dispose();
      }
      options.onEvent?.({
        type: 'progress',
        done: Math.min(test.size, start + batchSize),
        total: test.size,
        message: `captioning ${split} images`,
      });
    }
    const captioningSeconds = (performance.now() - started) / 1000;
    train = await loadSplit(dataset, { split: 'train', ...load });
    options.onEvent?.({
      type: 'notice',
      message: `nearest-neighbour baseline in ${options.neighbourSpace.name} over ${train.size} training images`,
    });
    const trainFeatures = splitFeatures(train, options.neighbourSpace, batchSize, options.signal);
    const testFeatures = splitFeatures(test, options.neighbourSpace, batchSize, options.signal);
    let nearest: Int32Array;
    try {
      nearest = nearestRows(testFeatures, trainFeatures);
    } finally {
      trainFeatures.dispose();
      testFeatures.dispose();
    }
    const trainEntries = train.entries;
    const neighbourCaptions = Array.from(nearest, (row) => (trainEntries[row] as ManifestEntry).text);
    const distinct = [...new Set(dataset.entries.map((entry) => entry.text))];
    return {
      dataset: { dir: dataset.dir, name: dataset.info.name, options: dataset.info.options },
      split,
      images: test.size,
      neighbourSpace: options.neighbourSpace.name,
      trainImages: train.size,
      captioner: scoreCaptions(captions, test.entries, dataset, distinct),
      nearestNeighbour: scoreCaptions(neighbourCaptions, test.entries, dataset, distinct),
      seconds: {
        captioning: Number(captioningSeconds.toFixed(2)),
        imagesPerSecond: Number((test.size / captioningSeconds).toFixed(1)),
      },
      examples: test.entries.slice(0, 12).map((entry, index) => ({
        id: entry.id,
        reference: entry.text,
        captioner: captions[index] ?? '',
        nearestNeighbour: neighbourCaptions[index] ?? '',
      })),
    };
  } finally {
    test.dispose();
    train?.dispose();
  }
}
