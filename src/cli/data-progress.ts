// Renders data events (dataset builds, split loading) as one progress bar per stage; notices as lines.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { DataEvent } from '../data/events.js';

export function dataProgress(): { onEvent: (event: DataEvent) => void; stop: () => void } {
  const bars = new MultiBar({ format: '{message} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}', stream: process.stderr, hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
  let current: { message: string; bar: SingleBar } | undefined;
  return {
    onEvent(event) {
      if (event.type === 'notice') {
        bars.log(`${event.message}\n`);
        return;
      }
      if (!current || current.message !== event.message) {
        current?.bar.stop();
        current = { message: event.message, bar: bars.create(event.total, event.done, { message: event.message }) };
      }
      current.bar.setTotal(event.total);
      current.bar.update(event.done, { message: event.message });
    },
    stop() {
      // MultiBar.stop() prints a newline even when no bar was drawn
      if (current) bars.stop();
      current = undefined;
    },
  };
}
