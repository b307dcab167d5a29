// Renders data events (dataset builds, split loading, evaluation's generation) as one progress bar per
// stage on a terminal, or as plain lines elsewhere (see LineThrottle); notices as lines. A stage is closed
// as soon as it is complete, so its last line comes before whatever the command prints next.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { DataEvent, ProgressEvent } from '../data/events.js';
import { StepRate } from '../data/step-rate.js';
import { LineThrottle, type LineThrottleOptions, formatSeconds } from './line-throttle.js';

export interface DataProgress {
  onEvent: (event: DataEvent) => void;
  stop: () => void;
}

export function dataProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  lines: LineThrottleOptions = {},
): DataProgress {
  return stream.isTTY === true ? barProgress(stream) : lineProgress(stream, lines);
}

/** Plain lines: `reading train images 1200/4800 25 % ETA 12s`. */
function lineProgress(stream: NodeJS.WritableStream, lines: LineThrottleOptions): DataProgress {
  let current: { message: string; throttle: LineThrottle; rate: StepRate; finished: boolean } | undefined;
  const line = (event: ProgressEvent, eta: number | undefined): void => {
    const percent = event.total > 0 ? Math.floor((100 * event.done) / event.total) : 100;
    const tail = event.done >= event.total ? '' : `  ETA ${formatSeconds(eta)}`;
    stream.write(`${event.message} ${event.done}/${event.total} ${percent} %${tail}\n`);
  };
  return {
    onEvent(event) {
      if (event.type === 'notice') {
        stream.write(`${event.message}\n`);
        return;
      }
      // a new stage: another message, or the same one starting over after it finished
      if (!current || current.message !== event.message || (current.finished && event.done < event.total))
        current = { message: event.message, throttle: new LineThrottle(lines), rate: new StepRate(), finished: false };
      current.rate.record(event.done);
      if (current.finished) return;
      if (current.throttle.due(event.done, event.total)) line(event, current.rate.eta(event.total));
      if (event.done >= event.total) current.finished = true;
    },
    stop() {
      current = undefined;
    },
  };
}

/** A bar per stage, redrawn in place; a finished stage stays on screen as its full bar. */
function barProgress(stream: NodeJS.WritableStream): DataProgress {
  let current: { message: string; bars: MultiBar; bar: SingleBar } | undefined;
  const close = (): void => {
    // MultiBar.stop() prints a newline even when no bar was drawn, so only a started stage is stopped
    current?.bars.stop();
    current = undefined;
  };
  return {
    onEvent(event) {
      if (event.type === 'notice') {
        if (current) current.bars.log(`${event.message}\n`);
        else stream.write(`${event.message}\n`);
        return;
      }
      if (!current || current.message !== event.message) {
        close();
        const bars = new MultiBar(
          {
            format: '{message} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}',
            stream: stream as NodeJS.WriteStream,
            hideCursor: true,
            clearOnComplete: false,
          },
          Presets.shades_classic,
        );
        current = {
          message: event.message,
          bars,
          bar: bars.create(event.total, event.done, { message: event.message }),
        };
      }
      current.bar.setTotal(event.total);
      current.bar.update(event.done, { message: event.message });
      if (event.done >= event.total) close();
    },
    stop: close,
  };
}
