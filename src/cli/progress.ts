// Renders training events as a progress bar (step/total, it/s, ETA, current losses) on a terminal, or as
// plain lines when output is not a terminal (logs, pipes, CI): one every 5 % or 10 s (see LineThrottle).
// The ETA comes with the event (a recent window of steps) and reads "?" until that rate has settled.
import cliProgress from 'cli-progress';
import type { TrainEvent } from '../train/events.js';
import { LineThrottle, type LineThrottleOptions, formatSeconds } from './line-throttle.js';

const formatLosses = (losses: Record<string, number>): string =>
  Object.entries(losses)
    .map(([name, value]) => `${name} ${value.toFixed(3)}`)
    .join('  ');

export interface TrainingProgress {
  onEvent(event: TrainEvent): void;
  stop(): void;
}

export function trainingProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  lines: LineThrottleOptions = {},
): TrainingProgress {
  const interactive = stream.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  const throttle = new LineThrottle(lines);
  const log = (line: string): void => {
    if (bar) bar.stop();
    stream.write(`${line}\n`);
    bar = undefined;
  };
  const ensureBar = (step: number, total: number): cliProgress.SingleBar => {
    if (!bar) {
      bar = new cliProgress.SingleBar(
        {
          format: '{bar} {value}/{total} | {rate} it/s | ETA {eta_text} | {losses}',
          stream: stream as NodeJS.WriteStream,
          hideCursor: true,
          clearOnComplete: false,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, step, { rate: '-', eta_text: '?', losses: '' });
    }
    return bar;
  };
  return {
    onEvent(event: TrainEvent): void {
      switch (event.type) {
        case 'start':
          log(`${event.resumed ? 'resuming' : 'training'} ${event.runDir} at step ${event.step}/${event.total}`);
          break;
        case 'step': {
          const payload = {
            rate: event.stepsPerSecond.toFixed(2),
            eta_text: formatSeconds(event.etaSeconds),
            losses: formatLosses(event.smoothed),
          };
          if (interactive) ensureBar(event.step, event.total).update(event.step, payload);
          else if (throttle.due(event.step, event.total)) {
            stream.write(
              `step ${event.step}/${event.total}  ${payload.rate} it/s  ETA ${payload.eta_text}  ${payload.losses}\n`,
            );
          }
          break;
        }
        case 'sample':
          if (!interactive) stream.write(`samples: ${event.files.join(', ')}\n`);
          break;
        case 'texts':
          log(
            `samples at step ${event.step}:\n${event.samples.map((sample) => `  ${sample.right ? '✓' : '✗'} ${sample.text}${sample.right ? '' : `   (should be: ${sample.reference})`}`).join('\n')}`,
          );
          break;
        case 'checkpoint':
          if (!interactive) stream.write(`checkpoint: ${event.path}\n`);
          break;
        case 'eval':
          log(`eval at step ${event.step}: ${formatLosses(event.metrics)}`);
          break;
        case 'notice':
          log(event.message);
          break;
        case 'interrupted':
          log(
            `interrupted at step ${event.step}; checkpoint written to ${event.path} (resume with \`mmgen train --resume\`)`,
          );
          break;
        case 'done':
          log(
            `done: ${event.step} steps in ${formatSeconds(event.seconds)}${event.timeLimited ? ' (time limit reached; `mmgen train --resume` goes on)' : ''}; run folder ${event.runDir}`,
          );
          break;
      }
    },
    stop(): void {
      bar?.stop();
      bar = undefined;
    },
  };
}

/**
 * An AbortSignal that fires on the first SIGINT; a second SIGINT exits at once. `what` is what stops
 * (default: training, which writes a checkpoint first).
 */
export function interruptSignal(what?: string): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (): void => {
    count += 1;
    if (count === 1) {
      const message = what === undefined ? 'stopping after this step and writing a checkpoint' : `cancelling ${what}`;
      process.stderr.write(`\nmmgen: ${message} (Ctrl-C again to quit at once)\n`);
      controller.abort(new Error(what === undefined ? 'interrupted' : `${what} was cancelled`));
    } else process.exit(130);
  };
  process.on('SIGINT', handler);
  return { signal: controller.signal, release: () => process.off('SIGINT', handler) };
}
