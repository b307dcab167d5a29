// Progress and Ctrl-C for judge training (image and audio judges): a data bar per loading phase, closed
// when training starts so lines come out in order, then the training bar.
import type { JudgeEvent } from '../models/judge-train.js';
import { dataProgress } from './data-progress.js';
import { interruptSignal, trainingProgress } from './progress.js';

export async function withJudgeProgress<T>(train: (onEvent: (event: JudgeEvent) => void, signal: AbortSignal) => Promise<T>): Promise<T> {
  const progress = trainingProgress();
  let data: ReturnType<typeof dataProgress> | undefined;
  const interrupt = interruptSignal('judge training');
  const onEvent = (event: JudgeEvent): void => {
    if (event.type === 'step') {
      data?.stop();
      data = undefined;
      progress.onEvent({ type: 'step', step: event.step, total: event.total, losses: { loss: event.loss }, smoothed: { loss: event.smoothedLoss }, stepsPerSecond: event.stepsPerSecond, etaSeconds: event.etaSeconds });
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
