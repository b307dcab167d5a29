// One training job in its own child process (`mmgen train` logic), its typed events turned into job events.
import { relative } from 'node:path';
import { forkTrainer } from '../train/fork.js';
import type { JobEventBody, JobProgress, JobResult, ResultFile } from './types.js';
import type { FromTrainer, TrainOrder } from '../train/child-protocol.js';

export interface TrainingHandle {
  /** Asks training to stop: it writes a checkpoint, then the job ends as cancelled. */
  stop(): void;
  /** Settles when the child has finished: interrupted tells a stop from a completed run. */
  finished: Promise<{ interrupted: boolean; result: JobResult }>;
}

export interface TrainingCallbacks {
  emit(body: JobEventBody): void;
  progress(progress: JobProgress): void;
}

/** URL under /v1/files/runs/ of a file the training wrote inside its run folder. */
function runFileUrl(runsDir: string, path: string): string {
  return `/v1/files/runs/${relative(runsDir, path).split('\\').join('/')}`;
}

export function startTraining(
  order: TrainOrder,
  runsDir: string,
  runId: string,
  callbacks: TrainingCallbacks,
): TrainingHandle {
  const child = forkTrainer();
  let lastSample: ResultFile[] = [];
  let failure: string | undefined;
  let interrupted = false;
  let stopped = false;
  const finished = new Promise<{ interrupted: boolean; result: JobResult }>((resolve, reject) => {
    child.on('message', (message: FromTrainer) => {
      if (message.type === 'error') failure = message.message;
      else if (message.type === 'finished') interrupted = message.interrupted;
      else if (message.type === 'data')
        callbacks.emit({ type: 'notice', message: `${message.message} ${message.done}/${message.total}` });
      else {
        const { event } = message;
        if (event.type === 'step') {
          callbacks.progress({ step: event.step, total: event.total, losses: event.losses });
          callbacks.emit({ type: 'progress', step: event.step, total: event.total, losses: event.losses });
        } else if (event.type === 'sample') {
          lastSample = event.files
            .filter((file) => file.endsWith('.png'))
            .map((file) => ({ kind: 'grid', url: runFileUrl(runsDir, file) }));
          callbacks.emit({ type: 'sample', step: event.step, files: lastSample });
        } else if (event.type === 'checkpoint') callbacks.emit({ type: 'checkpoint', step: event.step });
        else if (event.type === 'notice') callbacks.emit({ type: 'notice', message: event.message });
        else if (event.type === 'eval')
          callbacks.emit({ type: 'notice', message: `eval at step ${event.step}: ${JSON.stringify(event.metrics)}` });
      }
    });
    child.on('exit', (code, signal) => {
      if (failure !== undefined) reject(new Error(failure));
      else if (code !== 0 && !interrupted) reject(new Error(`training stopped (${signal ?? `exit ${code}`})`));
      else resolve({ interrupted: interrupted || stopped, result: { files: lastSample, run: runId } });
    });
  });
  child.send({ type: 'train', order });
  return {
    stop: () => {
      stopped = true;
      if (child.connected) child.send({ type: 'stop' });
    },
    finished,
  };
}
