// Training the audio judge on a dataset's real clips: seeded, cross-entropy on the class attribute,
// Adam with a cosine schedule, light augmentation (time shift, gain, faint noise) so generated clips that
// are a little early, late, loud, quiet or noisy are still judged by what they say. Then held-out accuracy on test.
import { type Tensor, manualSeed, noGrad, rand, randint, randn, tidy } from '../tensor/index.js';
import { crossEntropy } from '../nn/index.js';
import { Adam, LRScheduler, cosineSchedule } from '../optim/index.js';
import { BatchLoader, disposeBatch } from '../data/batches.js';
import { type Dataset, type Split, mmgenVersion, readDataset } from '../data/format.js';
import { type LoadedSplit, loadSplit } from '../data/loader.js';
import { StepLog } from '../data/step-rate.js';
import { Generator } from '../tensor/index.js';
import type { JudgeEvent } from './judge-train.js';
import {
  AUDIO_JUDGE_KIND,
  AUDIO_JUDGE_THRESHOLD,
  AudioJudge,
  type AudioJudgeInfo,
  AudioJudgeNetwork,
  type AudioFeatureSettings,
  audioJudgeInput,
} from './audio-judge.js';
import { logMelSpectrogram } from '../modalities/audio/index.js';

export interface TrainAudioJudgeOptions {
  dataset: string | Dataset;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** The class attribute; default `digit` when the dataset has it, else its only attribute. */
  attribute?: string;
  widths?: [number, number, number, number];
  features?: number;
  trainLimit?: number;
  logEvery?: number;
  onEvent?: (event: JudgeEvent) => void;
  signal?: AbortSignal;
}

export const DEFAULT_AUDIO_JUDGE_STEPS = 600;

function classAttribute(dataset: Dataset, requested?: string): { name: string; classes: string[] } {
  const all = dataset.info.attributes ?? {};
  const name = requested ?? ('digit' in all ? 'digit' : Object.keys(all)[0]);
  const classes = name === undefined ? undefined : all[name];
  if (name === undefined || classes === undefined)
    throw new Error(
      `dataset ${dataset.dir} has no attribute ${requested ? `"${requested}"` : 'to classify'}; its attributes are ${Object.keys(all).join(', ') || 'none'}`,
    );
  if (classes.length < 2) throw new Error(`attribute "${name}" of ${dataset.dir} has fewer than 2 values`);
  return { name, classes };
}

/** Feature settings with the training clips' log-mel mean and spread. */
function featureSettings(train: LoadedSplit, sampleRate: number, samples: number): AudioFeatureSettings {
  const base = { sampleRate, samples, nFft: 1024, hopLength: 256, nMels: 128, floor: Math.log(1e-5) };
  const audio = train.audio as Tensor;
  return tidy(() => {
    const mel = logMelSpectrogram(audio.narrow(0, 0, Math.min(500, train.size)), {
      ...base,
      scale: 'ln',
      floor: Math.exp(base.floor),
    });
    return { ...base, mean: mel.mean().item(), std: Math.max(1e-6, mel.std().item()) };
  });
}

/** Fraction of clips whose predicted class is the label. */
export function audioJudgeAccuracy(judge: AudioJudge, split: LoadedSplit): number {
  const labels = split.labels.get(judge.info.attribute);
  if (!split.audio || !labels)
    throw new Error(`${split.dataset.dir}: the ${split.split} split has no audio or no ${judge.info.attribute} labels`);
  const { predictions, probabilities } = judge.run(split.audio);
  probabilities.dispose();
  const truth = labels.dataSync() as BigInt64Array;
  let right = 0;
  predictions.forEach((value, index) => {
    if (BigInt(value) === truth[index]) right++;
  });
  return right / split.size;
}

export async function trainAudioJudge(
  options: TrainAudioJudgeOptions,
): Promise<{ judge: AudioJudge; accuracy: number; seconds: number }> {
  const started = performance.now();
  const dataset = typeof options.dataset === 'string' ? await readDataset(options.dataset) : options.dataset;
  const audioInfo = dataset.info.modalities.audio;
  if (!audioInfo)
    throw new Error(
      `${dataset.dir} has no audio; the audio judge needs a dataset of clips (e.g. \`mmgen data build spoken-digits\`)`,
    );
  const { name: attribute, classes } = classAttribute(dataset, options.attribute);
  const steps = options.steps ?? DEFAULT_AUDIO_JUDGE_STEPS;
  const seed = options.seed ?? 0;
  const learningRate = options.learningRate ?? 2e-3;
  for (const [label, value] of [
    ['steps', steps],
    ['seed', seed + 1],
    ['batch size', options.batchSize ?? 1],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${label} must be a positive integer, got ${value}`);
  }
  const heldOut: Split | undefined =
    dataset.info.splits.test > 0 ? 'test' : dataset.info.splits.val > 0 ? 'val' : undefined;
  if (heldOut === undefined)
    throw new Error(`${dataset.dir} has no test or val clips to measure the judge on; rebuild it with --test 0.1`);
  const emit = options.onEvent ?? (() => {});
  const logEvery = options.logEvery ?? 10;
  const loadOptions = {
    images: false as const,
    audio: true,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const train = await loadSplit(dataset, {
    split: 'train',
    ...loadOptions,
    ...(options.trainLimit !== undefined ? { limit: options.trainLimit } : {}),
  });
  const architecture = {
    widths: options.widths ?? ([8, 16, 32, 64] as [number, number, number, number]),
    features: options.features ?? 128,
  };
  let network: AudioJudgeNetwork | undefined;
  let optimizer: Adam | undefined;
  const augmentRandom = new Generator(seed + 17);
  try {
    const batchSize = Math.min(options.batchSize ?? 64, train.size);
    const features = featureSettings(train, audioInfo.sampleRate, audioInfo.samples);
    manualSeed(seed);
    network = new AudioJudgeNetwork(architecture, classes.length);
    optimizer = new Adam(network, { lr: learningRate });
    const scheduler = new LRScheduler(
      optimizer,
      cosineSchedule({ totalSteps: steps, warmupSteps: Math.min(50, Math.floor(steps / 10)) }),
    );
    const loader = new BatchLoader(train, { batchSize, seed });
    const model = network;
    const adam = optimizer;
    const maxShift = Math.floor(audioInfo.sampleRate / 10);
    const log = new StepLog(steps, logEvery, emit);
    for (let step = 1; step <= steps; step++) {
      if (options.signal?.aborted)
        throw options.signal.reason instanceof Error
          ? options.signal.reason
          : new Error('judge training was cancelled');
      const batch = loader.next();
      try {
        const loss = tidy(() => {
          // one circular shift per batch (up to 0.1 s), a gain of 0.5–1.5 per clip, and a faint noise
          // floor (up to about -50 dBFS): synthetic clips are digitally silent between words, and a judge
          // that only ever heard exact zeros there would take any noise floor for a different word
          const count = batch.audio?.shape[0] ?? 0;
          const shift = randint(-maxShift, maxShift + 1, [1], { generator: augmentRandom }).item();
          const gain = rand([count, 1], { generator: augmentRandom }).add(0.5);
          const noise = randn([count, audioInfo.samples], { generator: augmentRandom }).mul(
            rand([count, 1], { generator: augmentRandom }).mul(0.003),
          );
          const audio = (batch.audio as Tensor).roll([shift], [1]).mul(gain).add(noise);
          const { logits } = model.forward(audioJudgeInput(audio, features));
          const total = crossEntropy(logits, batch.labels.get(attribute) as Tensor);
          adam.zeroGrad();
          total.backward();
          adam.step();
          return total.item();
        });
        scheduler.step();
        log.record(step, loss);
      } finally {
        disposeBatch(batch);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const info: AudioJudgeInfo = {
      format: 1,
      kind: AUDIO_JUDGE_KIND,
      mmgenVersion: mmgenVersion(),
      createdAt: new Date().toISOString(),
      dataset: {
        dir: dataset.dir,
        name: dataset.info.name,
        builder: dataset.info.builder,
        seed: dataset.info.seed,
        splits: dataset.info.splits,
      },
      attribute,
      classes,
      features,
      architecture,
      training: { steps, batchSize, learningRate, seed, trainSamples: train.size, seconds: 0 },
      evaluation: { split: heldOut, samples: 0 },
      featureScale: 1,
      accuracy: 0,
      threshold: AUDIO_JUDGE_THRESHOLD,
      trusted: false,
    };
    optimizer.dispose();
    optimizer = undefined;
    const judge = new AudioJudge(network, info);
    network = undefined;
    try {
      info.featureScale = tidy(() => {
        const { features: raw, probabilities } = judge.run(
          (train.audio as Tensor).narrow(0, 0, Math.min(1000, train.size)),
          { features: true },
        );
        probabilities.dispose();
        const scale = Math.sqrt((raw as Tensor).square().mean().item());
        return Number.isFinite(scale) && scale > 0 ? scale : 1;
      });
      train.dispose();
      const held = await loadSplit(dataset, { split: heldOut, ...loadOptions });
      try {
        info.accuracy = noGrad(() => audioJudgeAccuracy(judge, held));
        info.evaluation.samples = held.size;
      } finally {
        held.dispose();
      }
    } catch (error) {
      judge.dispose();
      throw error;
    }
    info.trusted = info.accuracy >= AUDIO_JUDGE_THRESHOLD;
    const seconds = (performance.now() - started) / 1000;
    info.training.seconds = Number(seconds.toFixed(1));
    emit({
      type: 'evaluated',
      split: heldOut,
      samples: info.evaluation.samples,
      accuracy: { [attribute]: info.accuracy },
    });
    return { judge, accuracy: info.accuracy, seconds };
  } finally {
    train.dispose();
    optimizer?.dispose();
    network?.dispose();
    augmentRandom.dispose();
  }
}
