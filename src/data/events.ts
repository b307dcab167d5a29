// Typed events that builders and loaders report instead of printing.

export interface ProgressEvent {
  type: 'progress';
  done: number;
  total: number;
  message: string;
}

/** Something the user should know that is not an error (a skipped file, a finished stage). */
export interface NoticeEvent {
  type: 'notice';
  message: string;
}

export type DataEvent = ProgressEvent | NoticeEvent;
export type DataEventHandler = (event: DataEvent) => void;

/** Reports progress at most every `every` items (and always at the end), to keep callbacks cheap. */
export function progressReporter(
  onEvent: DataEventHandler | undefined,
  total: number,
  message: string,
  every = Math.max(1, Math.floor(total / 200)),
): (done: number) => void {
  let last = -1;
  return (done: number) => {
    if (!onEvent) return;
    if (done === total || done - last >= every || done === 0) {
      last = done;
      onEvent({ type: 'progress', done, total, message });
    }
  };
}

/** Throws the signal's reason if the build was cancelled (SIGINT in the CLI). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    throw reason instanceof Error ? reason : new Error('the build was cancelled');
  }
}
