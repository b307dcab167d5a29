// Training a judge on a dataset's real images: seeded, one cross-entropy per head summed, Adam with a
// cosine schedule, then held-out accuracy per attribute on the test split (val when there is none).
import { type Tensor, manualSeed, noGrad, tidy } from '../tensor/index.js';
import { crossEntropy } from '../nn/index.js';
import { Adam, LRScheduler, cosineSchedule } from '../optim/index.js';
import { BatchLoader, disposeBatch } from '../data/batches.js';
import type { DataEvent } from '../data/events.js';
import { type Dataset, type DatasetInfo, type Split, mmgenVersion, readDataset } from '../data/format.js';
import { type LoadedSplit, loadSplit } from '../data/loader.js';
import { Random } from '../data/random.js';
import { type StepEvent, StepLog } from '../data/step-rate.js';
import { augmentBatch, judgeAugmentation } from './judge-augment.js';
import {
  DEFAULT_FEATURES,
  DEFAULT_KEYPOINTS,
  DEFAULT_WIDTHS,
  Judge,
  type JudgeArchitecture,
  type JudgeInfo,
  JudgeNetwork,
  prepareImages,
  trustThreshold,
} from './judge.js';

export type JudgeEvent =
  DataEvent | StepEvent | { type: 'evaluated'; split: Split; samples: number; accuracy: Record<string, number> };

export interface TrainJudgeOptions {
  /** A dataset folder or an already read dataset. */
  dataset: string | Dataset;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Attributes to judge; default per builder (see judgedAttributes). */
  attributes?: string[];
  /** Smaller or larger networks than the default (widths, feature size). */
  architecture?: Partial<Pick<JudgeArchitecture, 'widths' | 'features' | 'keypoints'>>;
  /** Use only the first N training samples (quick runs, tests). */
  trainLimit?: number;
  /** Steps between 'step' events. */
  logEvery?: number;
  onEvent?: (event: JudgeEvent) => void;
  signal?: AbortSignal;
}

export const DEFAULT_JUDGE_STEPS = 1500;
export const DEFAULT_JUDGE_BATCH = 64;
export const DEFAULT_JUDGE_LR = 2e-3;

/** Builders whose other attributes are not visible in the image or not named in captions. */
const CLASS_ATTRIBUTE: Record<string, string> = { 'fashion-mnist': 'class', digits: 'digit' };

/** The attributes a judge of this dataset classifies, with their values (label order of the loader). */
export function judgedAttributes(info: DatasetInfo, requested?: string[]): Record<string, string[]> {
  const all = info.attributes ?? {};
  const names = Object.keys(all);
  if (names.length === 0)
    throw new Error(
      `dataset "${info.name}" has no attributes in dataset.json, so there is nothing to train a judge on`,
    );
  const classAttribute = CLASS_ATTRIBUTE[info.builder];
  const chosen =
    requested ?? (classAttribute !== undefined && names.includes(classAttribute) ? [classAttribute] : names);
  const out: Record<string, string[]> = {};
  for (const name of chosen) {
    const values = all[name];
    if (values === undefined)
      throw new Error(`dataset "${info.name}" has no attribute "${name}"; its attributes are ${names.join(', ')}`);
    if (values.length < 2)
      throw new Error(
        `attribute "${name}" of dataset "${info.name}" has only ${values.length} value; a judge needs at least 2`,
      );
    out[name] = values;
  }
  return out;
}

/** Network shape for a dataset's images: 64-px colour data keeps full resolution behind a stride-2 stem. */
export function judgeArchitecture(info: DatasetInfo): JudgeArchitecture {
  const image = info.modalities.image;
  if (!image) throw new Error(`dataset "${info.name}" has no images; judges classify images`);
  return {
    channels: image.channels,
    inputSize: Math.max(image.width, image.height) > 32 ? 64 : 32,
    widths: [...DEFAULT_WIDTHS],
    features: DEFAULT_FEATURES,
    keypoints: DEFAULT_KEYPOINTS,
  };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Fraction of samples whose predicted value equals the label, per attribute. */
export function judgeAccuracy(judge: Judge, split: LoadedSplit): Record<string, number> {
  if (!split.images) throw new Error(`${split.dataset.dir}: the ${split.split} split was loaded without images`);
  const { predictions } = judge.run(split.images);
  const accuracy: Record<string, number> = {};
  for (const name of judge.attributeNames) {
    const labels = split.labels.get(name);
    if (!labels) throw new Error(`${split.dataset.dir}: the ${split.split} split has no labels for "${name}"`);
    const truth = labels.toFlatArray();
    const predicted = predictions.get(name) as Int32Array;
    let correct = 0;
    truth.forEach((label, index) => {
      if (predicted[index] === label) correct++;
    });
    accuracy[name] = correct / Math.max(1, truth.length);
  }
  return accuracy;
}

/** Root-mean-square of the raw features on up to 2000 training images. */
function featureScale(judge: Judge, train: LoadedSplit): number {
  const images = train.images as Tensor;
  return tidy(() => {
    const features = judge.features(images.narrow(0, 0, Math.min(2000, train.size)));
    const scale = Math.sqrt(features.square().mean().item());
    return Number.isFinite(scale) && scale > 0 ? scale : 1;
  });
}

export interface TrainJudgeResult {
  judge: Judge;
  accuracy: Record<string, number>;
  seconds: number;
}

/** Trains a judge on the training split and measures it on held-out real data. */
export async function trainJudge(options: TrainJudgeOptions): Promise<TrainJudgeResult> {
  const started = performance.now();
  const dataset = typeof options.dataset === 'string' ? await readDataset(options.dataset) : options.dataset;
  const { info } = dataset;
  const attributes = judgedAttributes(info, options.attributes);
  const architecture = { ...judgeArchitecture(info), ...options.architecture };
  for (const size of [...architecture.widths, architecture.features]) positiveInteger(size, 'judge layer width');
  if (!Number.isInteger(architecture.keypoints) || architecture.keypoints < 0)
    throw new Error(`keypoints must be a non-negative integer, got ${architecture.keypoints}`);
  const steps = positiveInteger(options.steps ?? DEFAULT_JUDGE_STEPS, 'steps');
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  const learningRate = options.learningRate ?? DEFAULT_JUDGE_LR;
  if (!(Number.isFinite(learningRate) && learningRate > 0))
    throw new Error(`learning rate must be a positive number, got ${learningRate}`);
  const logEvery = positiveInteger(options.logEvery ?? 10, 'logEvery');
  const emit = options.onEvent ?? (() => {});
  const heldOut: Split | undefined = info.splits.test > 0 ? 'test' : info.splits.val > 0 ? 'val' : undefined;
  if (heldOut === undefined)
    throw new Error(`${dataset.dir} has no test or val samples to measure a judge on; rebuild it with --test 0.1`);
  const loadOptions = {
    images: 'uint8' as const,
    audio: false,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const train = await loadSplit(dataset, {
    split: 'train',
    ...loadOptions,
    ...(options.trainLimit !== undefined ? { limit: options.trainLimit } : {}),
  });
  let network: JudgeNetwork | undefined;
  let optimizer: Adam | undefined;
  try {
    const batchSize = Math.min(positiveInteger(options.batchSize ?? DEFAULT_JUDGE_BATCH, 'batchSize'), train.size);
    manualSeed(seed);
    const names = Object.keys(attributes);
    network = new JudgeNetwork(
      architecture,
      Object.values(attributes).map((values) => values.length),
    );
    optimizer = new Adam(network, { lr: learningRate });
    const scheduler = new LRScheduler(
      optimizer,
      cosineSchedule({ totalSteps: steps, warmupSteps: Math.min(50, Math.floor(steps / 10)) }),
    );
    const loader = new BatchLoader(train, { batchSize, seed, imagesAsFloat: true });
    const model = network;
    const adam = optimizer;
    const augmentation = judgeAugmentation(info.builder);
    const augmentRandom = new Random(seed).fork('judge-augment');
    const log = new StepLog(steps, logEvery, emit);
    for (let step = 1; step <= steps; step++) {
      if (options.signal?.aborted)
        throw options.signal.reason instanceof Error
          ? options.signal.reason
          : new Error('judge training was cancelled');
      const batch = loader.next();
      let loss: number;
      try {
        loss = tidy(() => {
          const { logits } = model.forward(
            augmentBatch(prepareImages(batch.images as Tensor, architecture), augmentation, augmentRandom),
          );
          let total: Tensor | undefined;
          logits.forEach((logit, head) => {
            const term = crossEntropy(logit, batch.labels.get(names[head] as string) as Tensor);
            total = total === undefined ? term : total.add(term);
          });
          adam.zeroGrad();
          (total as Tensor).backward();
          adam.step();
          return (total as Tensor).item();
        });
      } finally {
        disposeBatch(batch);
      }
      scheduler.step();
      log.record(step, loss);
      // yield between steps so SIGINT and progress rendering get their turn
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const imageInfo = info.modalities.image as NonNullable<DatasetInfo['modalities']['image']>;
    const threshold = trustThreshold(info.builder);
    const judgeInfo: JudgeInfo = {
      format: 1,
      kind: 'mmgen-judge',
      mmgenVersion: mmgenVersion(),
      createdAt: new Date().toISOString(),
      dataset: {
        dir: dataset.dir,
        name: info.name,
        builder: info.builder,
        description: info.description,
        seed: info.seed,
        options: info.options,
        mmgenVersion: info.mmgenVersion,
        splits: info.splits,
      },
      attributes,
      image: { channels: imageInfo.channels, height: imageInfo.height, width: imageInfo.width },
      architecture,
      training: { steps, batchSize, learningRate, seed, trainSamples: train.size, seconds: 0, augmentation },
      evaluation: { split: heldOut, samples: 0 },
      featureScale: 1,
      accuracy: {},
      threshold,
      trusted: {},
    };
    optimizer.dispose();
    optimizer = undefined;
    const judge = new Judge(network, judgeInfo);
    network = undefined;
    try {
      judgeInfo.featureScale = featureScale(judge, train);
      train.dispose();
      const held = await loadSplit(dataset, { split: heldOut, ...loadOptions });
      try {
        judgeInfo.accuracy = noGrad(() => judgeAccuracy(judge, held));
        judgeInfo.evaluation.samples = held.size;
      } finally {
        held.dispose();
      }
    } catch (error) {
      judge.dispose();
      throw error;
    }
    for (const name of names) judgeInfo.trusted[name] = (judgeInfo.accuracy[name] ?? 0) >= threshold;
    const seconds = (performance.now() - started) / 1000;
    judgeInfo.training.seconds = Number(seconds.toFixed(1));
    emit({ type: 'evaluated', split: heldOut, samples: judgeInfo.evaluation.samples, accuracy: judgeInfo.accuracy });
    return { judge, accuracy: judgeInfo.accuracy, seconds };
  } finally {
    train.dispose();
    optimizer?.dispose();
    network?.dispose();
  }
}
