// When output is not a terminal (a log file, a pipe, CI), progress is printed as plain lines instead of a
// redrawn bar: whenever another 5 % is done or 10 s have passed, and at the end. A stage's first second prints
// nothing but its end, so a quick stage is one line, not twenty.

export interface LineThrottleOptions {
  everySeconds?: number;
  everyFraction?: number;
  /** Seconds from the first event in which only the last line is printed (default 1). */
  graceSeconds?: number;
  /** Seconds now (tests pass a fake clock). */
  now?: () => number;
}

export class LineThrottle {
  private readonly everySeconds: number;
  private readonly everyFraction: number;
  private readonly now: () => number;
  private readonly graceSeconds: number;
  private started: number | undefined;
  private lastBucket = -1;
  private lastSeconds = Number.NEGATIVE_INFINITY;

  constructor(options: LineThrottleOptions = {}) {
    this.everySeconds = options.everySeconds ?? 10;
    this.everyFraction = options.everyFraction ?? 0.05;
    this.now = options.now ?? (() => performance.now() / 1000);
    this.graceSeconds = options.graceSeconds ?? 1;
  }

  /** Whether a line is due now for `done` of `total` (and if so, counts it as printed). */
  due(done: number, total: number): boolean {
    // whole numbers (done × 20 / total), so 150 of 1000 is bucket 3, not 2.999…
    const bucket = total > 0 ? Math.floor((done * Math.round(1 / this.everyFraction)) / total) : 0;
    const seconds = this.now();
    this.started ??= seconds;
    if (done < total && seconds - this.started < this.graceSeconds) return false;
    if (done >= total || bucket > this.lastBucket || seconds - this.lastSeconds >= this.everySeconds) {
      this.lastBucket = bucket;
      this.lastSeconds = seconds;
      return true;
    }
    return false;
  }
}

/** 42s, 3m05s, 1h02m; "?" when unknown. */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
