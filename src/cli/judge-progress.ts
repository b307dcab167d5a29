// What `eval train-judge` shares between image and audio judges: its flags, progress with Ctrl-C (a data bar
// per loading phase, closed when training starts so lines come out in order, then the training bar), and saving.
import { mkdir } from 'node:fs/promises';
import type { JudgeEvent } from '../models/judge-train.js';
import { dataProgress } from './data-progress.js';
import { integerFlag } from './flags.js';
import { interruptSignal, trainingProgress } from './progress.js';

export interface TrainJudgeFlags {
  out?: string;
  steps?: string;
  seed: string;
  batch: string;
  lr?: string;
  attributes?: string;
  limit?: string;
}

/** The training settings every judge takes, from the flags (steps default per judge kind). */
export function judgeTrainingSettings(
  flags: TrainJudgeFlags,
  defaultSteps: number,
): { steps: number; seed: number; batchSize: number; learningRate?: number; trainLimit?: number } {
  return {
    steps: integerFlag(flags.steps ?? String(defaultSteps), '--steps'),
    seed: integerFlag(flags.seed, '--seed', 0),
    batchSize: integerFlag(flags.batch, '--batch'),
    ...(flags.lr !== undefined ? { learningRate: Number(flags.lr) } : {}),
    ...(flags.limit !== undefined ? { trainLimit: integerFlag(flags.limit, '--limit') } : {}),
  };
}

export async function withJudgeProgress<T>(
  train: (onEvent: (event: JudgeEvent) => void, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const progress = trainingProgress();
  let data: ReturnType<typeof dataProgress> | undefined;
  const interrupt = interruptSignal('judge training');
  const onEvent = (event: JudgeEvent): void => {
    if (event.type === 'step') {
      data?.stop();
      data = undefined;
      progress.onEvent({
        type: 'step',
        step: event.step,
        total: event.total,
        losses: { loss: event.loss },
        smoothed: { loss: event.smoothedLoss },
        stepsPerSecond: event.stepsPerSecond,
        etaSeconds: event.etaSeconds,
      });
    } else if (event.type !== 'evaluated') {
      if (!data) progress.stop();
      data ??= dataProgress();
      data.onEvent(event);
    }
  };
  try {
    return await train(onEvent, interrupt.signal);
  } finally {
    progress.stop();
    data?.stop();
    interrupt.release();
  }
}

/** What saving and reporting need of a trained judge, image or audio. */
interface TrainedJudge {
  info: { training: { steps: number; trainSamples: number } };
  save(dir: string): Promise<void>;
  dispose(): void;
}

/**
 * Saves a trained judge to `out`, says how long it trained and where it is, then prints its held-out accuracy
 * with `report`; the judge is freed either way.
 */
export async function saveTrainedJudge<Judge extends TrainedJudge>(
  trained: { judge: Judge; seconds: number },
  out: string,
  kind: { name: string; samples: string },
  report: (judge: Judge) => void,
): Promise<void> {
  const { judge } = trained;
  try {
    await mkdir(out, { recursive: true });
    await judge.save(out);
    const { steps, trainSamples } = judge.info.training;
    process.stdout.write(
      `${kind.name} trained in ${trained.seconds.toFixed(0)} s (${steps} steps on ${trainSamples} ${kind.samples}); saved to ${out}\n`,
    );
    report(judge);
  } finally {
    judge.dispose();
  }
}
