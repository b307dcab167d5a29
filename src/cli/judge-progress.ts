// What `eval train-judge` shares between image and audio judges: its flags, and progress with Ctrl-C (a
// data bar per loading phase, closed when training starts so lines come out in order, then the training bar).
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
