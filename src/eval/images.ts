// Scores a set of images against a dataset with its judge: attribute accuracy (Strict/Feats with
// chance, or class accuracy for single-attribute datasets) and FID/KID on judge features against the
// real held-out split, each beside the real-vs-real floor (as many real images as were generated against the rest).
import { Tensor, dispose } from '../tensor/index.js';
import { type Dataset, type Split, readDataset } from '../data/format.js';
import { loadSplit } from '../data/loader.js';
import type { DataEventHandler } from '../data/events.js';
import type { Judge } from '../models/judge.js';
import { type AttributeScores, attributeTargets, scoreAttributes } from './attributes.js';
import { type KidResult, frechetDistance, kernelInceptionDistance, splitReal } from './distribution.js';

export interface RealFeatures {
  split: Split;
  /** [N, features] judge features of the real split; owned by whoever made it. */
  features: Tensor;
}

export interface EvaluateImagesOptions {
  judge: Judge;
  /** The dataset folder (or read dataset) the images should resemble. */
  dataset: string | Dataset;
  /** [N, C, H, W] float in [-1, 1]. */
  images: Tensor;
  /** What each image should show: one record per image ({ shape: 'heart', … }). */
  attributes?: readonly Readonly<Record<string, string>>[];
  /** For single-attribute judges (fashion-mnist, digits): the class index per image. */
  labels?: ArrayLike<number> | Tensor;
  /** Judge features of the real split, when the caller already has them (see computeRealFeatures). */
  real?: RealFeatures;
  /** Seeds the real halves and KID subsets. */
  seed?: number;
  kidSubsets?: number;
  /** Default: a quarter of the real split, at most 1000 (so subsets of a half still vary). */
  kidSubsetSize?: number;
  /** Skip FID/KID (attribute accuracy only). */
  distribution?: boolean;
  /** Progress of reading the real split. */
  onEvent?: DataEventHandler;
}

/** Seeded real-vs-real splits the FID floor is averaged over. */
export const FLOOR_SPLITS = 5;

export interface DistributionMetrics {
  /** Generated vs the real split. */
  fid: number;
  /**
   * Real vs real at the generated sample size: as many real images as were generated (at most half the split)
   * against the rest of the split; the best a generator can expect. The mean over FLOOR_SPLITS seeded splits,
   * since one split's floor moves by half its value from seed to seed.
   */
  fidRealFloor: number;
  /** The floor of each split the mean is taken over. */
  fidRealFloorSplits: number[];
  kid: KidResult;
  kidRealFloor: KidResult;
  realSplit: Split;
  realImages: number;
  /** Sizes of the two real parts the floors compare. */
  floorImages: [number, number];
  featureDim: number;
}

export interface ImageMetrics {
  images: number;
  dataset: { dir: string; name: string; builder: string; options: Record<string, unknown> };
  judge: {
    attributes: Record<string, string[]>;
    accuracy: Record<string, number>;
    trusted: Record<string, boolean>;
    threshold: number;
    evaluatedOn: string;
  };
  /** Present when targets were given. */
  attributeScores?: AttributeScores;
  /** Single-attribute judges: accuracy of the class with its chance level. */
  classAccuracy?: { attribute: string; value: number; chance: number };
  distribution?: DistributionMetrics;
  warnings: string[];
}

/** Checks the judge was trained for this dataset's attributes (same names and value lists). */
export function checkJudgeMatches(judge: Judge, dataset: Dataset): void {
  const attributes = dataset.info.attributes ?? {};
  for (const [name, values] of Object.entries(judge.info.attributes)) {
    const own = attributes[name];
    if (own === undefined || own.join('\u0000') !== values.join('\u0000')) {
      throw new Error(
        `the judge was trained on ${judge.info.dataset.name} (${judge.info.dataset.dir}) whose "${name}" differs from ${dataset.dir}; ` +
          `train a judge for this dataset with \`mmgen eval train-judge ${dataset.dir}\``,
      );
    }
  }
}

/** The held-out real split used as reference: test, or val when a dataset has no test split. */
export function referenceSplit(dataset: Dataset): Split {
  if (dataset.info.splits.test > 0) return 'test';
  if (dataset.info.splits.val > 0) return 'val';
  throw new Error(`${dataset.dir} has no test or val samples to compare with; rebuild it with --test 0.1`);
}

/** Judge features of the real reference split (the caller disposes features). */
export async function computeRealFeatures(
  judge: Judge,
  source: string | Dataset,
  onEvent?: DataEventHandler,
): Promise<RealFeatures> {
  const dataset = typeof source === 'string' ? await readDataset(source) : source;
  const split = referenceSplit(dataset);
  const real = await loadSplit(dataset, { split, images: 'uint8', audio: false, ...(onEvent ? { onEvent } : {}) });
  try {
    return { split, features: judge.features(real.images as Tensor) };
  } finally {
    real.dispose();
  }
}

function labelTargets(judge: Judge, labels: ArrayLike<number> | Tensor): Map<string, Int32Array> {
  const names = judge.attributeNames;
  if (names.length !== 1)
    throw new Error(
      `labels fit single-attribute judges; this judge has ${names.join(', ')}: pass attributes records instead`,
    );
  const values = labels instanceof Tensor ? labels.toFlatArray() : Array.from(labels);
  return new Map([[names[0] as string, Int32Array.from(values)]]);
}

/** Judges images and measures them against the dataset's real held-out split. */
export async function evaluateImages(options: EvaluateImagesOptions): Promise<ImageMetrics> {
  const { judge, images } = options;
  const dataset = typeof options.dataset === 'string' ? await readDataset(options.dataset) : options.dataset;
  checkJudgeMatches(judge, dataset);
  if (images.rank !== 4)
    throw new Error(`images must be [count, channels, height, width], got [${images.shape.join(', ')}]`);
  const count = images.shape[0] ?? 0;
  if (options.attributes !== undefined && options.labels !== undefined)
    throw new Error('give attributes or labels, not both');
  const targets =
    options.attributes !== undefined
      ? attributeTargets(options.attributes, judge.info.attributes)
      : options.labels !== undefined
        ? labelTargets(judge, options.labels)
        : undefined;
  for (const [name, values] of targets ?? []) {
    if (values.length !== count) throw new Error(`${count} images but ${values.length} targets for "${name}"`);
  }
  const wantDistribution = options.distribution ?? true;
  const warnings = judge
    .untrusted()
    .map(
      (name) =>
        `judge head "${name}" reached only ${((judge.info.accuracy[name] ?? 0) * 100).toFixed(1)} % on real ${judge.info.evaluation.split} data ` +
        `(needs ${(judge.info.threshold * 100).toFixed(0)} %): its verdicts are not trusted; retrain it with more --steps`,
    );
  const output = judge.run(images, { features: wantDistribution });
  const owned: Tensor[] = output.features ? [output.features] : [];
  try {
    const metrics: ImageMetrics = {
      images: count,
      dataset: {
        dir: dataset.dir,
        name: dataset.info.name,
        builder: dataset.info.builder,
        options: dataset.info.options,
      },
      judge: {
        attributes: judge.info.attributes,
        accuracy: judge.info.accuracy,
        trusted: judge.info.trusted,
        threshold: judge.info.threshold,
        evaluatedOn: `${judge.info.evaluation.samples} real ${judge.info.evaluation.split} images`,
      },
      warnings,
    };
    if (targets) {
      const valueCounts = Object.fromEntries(
        Object.entries(judge.info.attributes).map(([name, values]) => [name, values.length]),
      );
      const scores = scoreAttributes(output.predictions, targets, valueCounts);
      metrics.attributeScores = scores;
      const names = judge.attributeNames;
      if (names.length === 1) {
        const only = scores.attributes[names[0] as string] as AttributeScores['attributes'][string];
        metrics.classAccuracy = { attribute: names[0] as string, value: only.accuracy, chance: only.chance };
      }
    }
    if (output.features) {
      const seed = options.seed ?? 0;
      let real = options.real;
      if (!real) {
        real = await computeRealFeatures(judge, dataset, options.onEvent);
        owned.push(real.features);
      }
      const realCount = real.features.shape[0] ?? 0;
      if (count < 2)
        throw new Error(`FID/KID need at least 2 images, got ${count}; pass distribution: false to skip them`);
      // the floor compares as many real images as were generated (at most half the split) with the rest,
      // over several seeded splits; the first split also gives the KID floor
      const halves = splitReal(real.features, count, seed);
      owned.push(...halves);
      const fidRealFloorSplits = [frechetDistance(halves[0], halves[1])];
      for (let split = 1; split < FLOOR_SPLITS; split++) {
        const [standIn, rest] = splitReal(real.features, count, seed + split);
        try {
          fidRealFloorSplits.push(frechetDistance(standIn, rest));
        } finally {
          dispose([standIn, rest]);
        }
      }
      // one subset size for all, small enough that subsets of the smallest set differ (KID is unbiased at any size)
      const subsetSize =
        options.kidSubsetSize ??
        Math.max(2, Math.min(1000, Math.floor(realCount / 4), Math.floor((halves[0].shape[0] ?? 0) / 2)));
      const kidOptions = {
        seed,
        subsetSize,
        ...(options.kidSubsets !== undefined ? { subsets: options.kidSubsets } : {}),
      };
      metrics.distribution = {
        fid: frechetDistance(output.features, real.features),
        fidRealFloor: fidRealFloorSplits.reduce((sum, value) => sum + value, 0) / fidRealFloorSplits.length,
        fidRealFloorSplits,
        kid: kernelInceptionDistance(output.features, real.features, kidOptions),
        kidRealFloor: kernelInceptionDistance(halves[0], halves[1], kidOptions),
        realSplit: real.split,
        realImages: realCount,
        floorImages: [halves[0].shape[0] ?? 0, halves[1].shape[0] ?? 0],
        featureDim: real.features.shape[1] ?? 0,
      };
      if (count < 500)
        warnings.push(`FID/KID on ${count} images are noisy and biased upward; use at least 1000 for comparisons`);
    }
    return metrics;
  } finally {
    dispose(owned);
  }
}
