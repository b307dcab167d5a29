// The shape of bench/results/latest.json, and the targets the table prints beside the numbers.
import type { DataBenchmark } from '../data.js';
import type { ModelName, ProfileAnswer, TinyOp } from './protocol.js';

export const targets = {
  /** mmgen ms/step divided by PyTorch's, per model. */
  ratio: 1.0,
  ratioAim: 0.8,
  /** RSS growth from after warm-up to after the drift run, percent. */
  driftPercent: 10,
  driftSteps: 500,
  /** mmgen µs per tiny op divided by PyTorch's. */
  tinyOpRatio: 1.5,
} as const;

export interface Settings {
  mode: 'quick' | 'full';
  seed: number;
  warmupSteps: number;
  reps: number;
  stepsPerRep: number;
  driftSteps: number;
  driftSampleEvery: number;
  profileSteps: number;
  tinyOpCalls: number;
  tinyOpRounds: number;
  threads: number;
}

export interface SideResult {
  parameters: number;
  buildMs: number;
  /** every timed step, in order. */
  stepMs: number[];
  medianMs: number;
  minMs: number;
  p10Ms: number;
  p90Ms: number;
  /** main-thread CPU ms per step, every timed step. */
  cpuMs: number[];
  medianCpuMs: number;
  /** median ms per step spent waiting for a CPU (how busy the shared machine was). */
  medianWaitMs: number;
  firstLosses: number[];
  lastLosses: number[];
  /** RSS with the runtime loaded, before the model is built. */
  baselineKb: number;
  /** after the timed reps (before mmgen's drift run). */
  rssKb: number;
  peakKb: number;
  profile?: ProfileAnswer;
}

export interface DriftResult {
  steps: number;
  rssBeforeKb: number;
  rssAfterKb: number;
  percent: number;
  samplesKb: number[];
  tensorsBefore: number;
  tensorsAfter: number;
  medianMs: number;
  /** VmHWM after the drift run. */
  peakKb: number;
}

export interface ModelResult {
  name: ModelName;
  description: string;
  mmgen?: SideResult;
  torch?: SideResult;
  /** median mmgen ms / median PyTorch ms. */
  ratio?: number;
  /** median mmgen CPU ms / median PyTorch CPU ms: the same comparison without time spent waiting for a CPU. */
  cpuRatio?: number;
  /** fastest mmgen step / fastest PyTorch step: the least load-sensitive figure on a shared machine. */
  minRatio?: number;
  /** per rep: median mmgen ms / median PyTorch ms of that rep (robust to load changing during the run). */
  repRatios?: number[];
  drift?: DriftResult;
  error?: string;
}

export interface TinyOpResult {
  op: TinyOp;
  label: string;
  mmgenUs: number[];
  torchUs: number[];
  mmgenMedianUs: number;
  torchMedianUs: number;
  ratio: number;
  mmgenCpuUs: number[];
  torchCpuUs: number[];
  /** median CPU µs mmgen / PyTorch. */
  cpuRatio: number;
}

export interface Results {
  date: string;
  settings: Settings;
  runtime: { mmgen: string; torch: string };
  machine: { cpu: string; cpus: number; loadAverage: number[] };
  targets: typeof targets;
  models: ModelResult[];
  tinyOps: TinyOpResult[];
  tinyOpError?: string;
  /** bench/data.ts: dataset build, split load and batch loader throughput. */
  data?: DataBenchmark[];
  dataError?: string;
  /** bench/audio.ts: text→audio generation speed. */
  audio?: DataBenchmark[];
  audioError?: string;
  /** bench/caption.ts: captioning images/s at beam 1 and 5. */
  caption?: DataBenchmark[];
  /** bench/serve.ts: mmgen serve under 200 concurrent clients. */
  serve?: DataBenchmark[];
  serveError?: string;
  captionError?: string;
  /** bench/distributed.ts: data-parallel steps/s of 1 and 2 processes, their ratio, all-reduce time per step. */
  distributed?: DataBenchmark[];
  distributedError?: string;
  totalSeconds: number;
}
