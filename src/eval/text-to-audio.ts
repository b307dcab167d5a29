// The text→audio protocol (WaveGAN's, on its digit classifier): N clips per class from the class's
// caption, judged by the audio judge — accuracy against the requested class, inception score over 10
// splits beside the real test clips' IS, and the Fréchet distance on judge features against the real
// test clips beside the real-vs-real floor (two halves of the test split); and the RMS level of the
// generated clips beside the real ones'.
import { type Tensor, dispose, keep, noGrad, tensor, tidy } from '../tensor/index.js';
import { type DataEventHandler, progressReporter, throwIfAborted } from '../data/events.js';
import { type Dataset, type Split, readDataset } from '../data/format.js';
import { loadSplit } from '../data/loader.js';
import type { AudioJudge } from '../models/audio-judge.js';
import { rmsDbfs } from '../modalities/audio/level.js';
import { frechetDistance, splitHalves } from './distribution.js';
import { type InceptionScore, inceptionScore } from './inception.js';

/** What eval needs of a text→audio run. */
export interface TextToAudioGenerator {
  generate(texts: string[], seed: number): { spectrograms: Tensor; clips: Float32Array[] };
}

export interface EvaluateTextToAudioOptions {
  model: TextToAudioGenerator;
  judge: AudioJudge;
  dataset: string | Dataset;
  /** Clips per class (default 100). */
  perClass?: number;
  seed?: number;
  /** Prompts per generate() call (default 50). */
  batchSize?: number;
  onEvent?: DataEventHandler;
  signal?: AbortSignal;
}

export interface TextToAudioEvaluation {
  dataset: { dir: string; name: string; builder: string };
  judge: {
    attribute: string;
    classes: string[];
    accuracy: number;
    trusted: boolean;
    threshold: number;
    evaluatedOn: string;
  };
  clips: number;
  perClass: number;
  seed: number;
  /** The caption each class was asked for with. */
  prompts: Record<string, string>;
  accuracy: number;
  perClassAccuracy: Record<string, number>;
  chance: number;
  inceptionScore: InceptionScore;
  realInceptionScore: InceptionScore;
  /** Generated IS / real IS. */
  inceptionRatio: number;
  /** Real test-split accuracy of the judge under the same clips-per-run conditions. */
  realAccuracy: number;
  frechetDistance: number;
  frechetRealFloor: number;
  realSplit: Split;
  realClips: number;
  /** Distinct captions the clips were asked for (one per class unless two classes share one). */
  distinctCaptions: number;
  /** RMS level in dBFS over all generated clips together, and over the real clips they are compared with. */
  generatedLevelDbfs: number;
  realLevelDbfs: number;
  warnings: string[];
}

/** Caption of each class: the text of its first held-out sample (the word itself for spoken digits). */
function classPrompts(dataset: Dataset, attribute: string, classes: string[]): string[] {
  return classes.map((value) => {
    const entry = ['test', 'val', 'train']
      .map((split) => dataset.entries.find((e) => e.split === split && e.attributes?.[attribute] === value))
      .find((e) => e !== undefined);
    if (!entry) throw new Error(`${dataset.dir} has no sample with ${attribute} "${value}" to take a prompt from`);
    return entry.text;
  });
}

export async function evaluateTextToAudio(options: EvaluateTextToAudioOptions): Promise<TextToAudioEvaluation> {
  const dataset = typeof options.dataset === 'string' ? await readDataset(options.dataset) : options.dataset;
  const { judge } = options;
  const { attribute, classes } = judge.info;
  const datasetClasses = dataset.info.attributes?.[attribute];
  if (!datasetClasses || datasetClasses.join('\u0000') !== classes.join('\u0000')) {
    throw new Error(
      `the judge classifies ${attribute} as ${classes.join(', ')}, but ${dataset.dir} has ${datasetClasses ? datasetClasses.join(', ') : `no ${attribute}`}; use the judge of this dataset`,
    );
  }
  const perClass = options.perClass ?? 100;
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 50;
  const prompts = classPrompts(dataset, attribute, classes);
  // classes interleaved, so every inception-score split holds all of them in equal measure
  const targets = Array.from({ length: perClass * classes.length }, (_, index) => index % classes.length);
  const samples = judge.info.features.samples;
  const waveforms = new Float32Array(targets.length * samples);
  const report = progressReporter(options.onEvent, targets.length, 'generating clips (Griffin-Lim)');
  report(0);
  for (let start = 0, call = 0; start < targets.length; start += batchSize, call++) {
    throwIfAborted(options.signal);
    const texts = targets.slice(start, start + batchSize).map((target) => prompts[target] as string);
    const generated = noGrad(() => options.model.generate(texts, seed + call));
    generated.spectrograms.dispose();
    generated.clips.forEach((clip, index) => waveforms.set(clip.subarray(0, samples), (start + index) * samples));
    report(start + texts.length);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const generatedAudio = tensor(waveforms, { shape: [targets.length, samples] });
  const realSplit: Split = dataset.info.splits.test > 0 ? 'test' : 'val';
  const real = await loadSplit(dataset, {
    split: realSplit,
    images: false,
    audio: true,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const owned: Tensor[] = [generatedAudio];
  try {
    const fake = judge.run(generatedAudio, { features: true });
    const realOutput = judge.run(real.audio as Tensor, { features: true });
    owned.push(fake.probabilities, fake.features as Tensor, realOutput.probabilities, realOutput.features as Tensor);
    const right = classes.map(() => 0);
    targets.forEach((target, index) => {
      if (fake.predictions[index] === target) right[target] = (right[target] ?? 0) + 1;
    });
    const truth = real.labels.get(attribute)?.dataSync() as BigInt64Array;
    let realRight = 0;
    realOutput.predictions.forEach((value, index) => {
      if (BigInt(value) === truth[index]) realRight++;
    });
    const [halfA, halfB] = splitHalves(realOutput.features as Tensor, seed);
    owned.push(keep(halfA), keep(halfB));
    // 10 splits as WaveGAN; fewer for tiny sets, so each split can hold every class
    const splitsFor = (count: number): number => Math.max(1, Math.min(10, Math.floor(count / classes.length)));
    const score = inceptionScore(fake.probabilities, splitsFor(targets.length));
    const realScore = inceptionScore(realOutput.probabilities, splitsFor(real.size));
    const warnings: string[] = [];
    if (!judge.info.trusted)
      warnings.push(
        `the judge's held-out accuracy ${(judge.info.accuracy * 100).toFixed(1)} % is below ${(judge.info.threshold * 100).toFixed(0)} %: its verdicts do not count`,
      );
    return {
      dataset: { dir: dataset.dir, name: dataset.info.name, builder: dataset.info.builder },
      judge: {
        attribute,
        classes,
        accuracy: judge.info.accuracy,
        trusted: judge.info.trusted,
        threshold: judge.info.threshold,
        evaluatedOn: `${judge.info.evaluation.samples} real ${judge.info.evaluation.split} clips`,
      },
      clips: targets.length,
      perClass,
      seed,
      prompts: Object.fromEntries(classes.map((value, index) => [value, prompts[index] as string])),
      accuracy: right.reduce((sum, count) => sum + count, 0) / targets.length,
      perClassAccuracy: Object.fromEntries(classes.map((value, index) => [value, (right[index] ?? 0) / perClass])),
      chance: 1 / classes.length,
      inceptionScore: score,
      realInceptionScore: realScore,
      inceptionRatio: score.mean / realScore.mean,
      realAccuracy: realRight / real.size,
      frechetDistance: tidy(() => frechetDistance(fake.features as Tensor, realOutput.features as Tensor)),
      frechetRealFloor: frechetDistance(halfA, halfB),
      realSplit,
      realClips: real.size,
      distinctCaptions: new Set(prompts).size,
      generatedLevelDbfs: rmsDbfs(waveforms),
      realLevelDbfs: rmsDbfs((real.audio as Tensor).dataSync() as Float32Array),
      warnings,
    };
  } finally {
    dispose(owned);
    real.dispose();
  }
}
