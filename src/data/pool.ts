// Runs async work over indices with a bounded number in flight (file decoding, PNG encoding, espeak).
import { throwIfAborted } from './events.js';

export async function runPool(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
  onDone?: (done: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < count && !failed) {
      throwIfAborted(signal);
      const index = next++;
      try {
        await work(index);
      } catch (error) {
        failed = true;
        throw error;
      }
      onDone?.(++done);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker);
  // wait for every worker so nothing still writes into a folder the caller is about to remove
  const results = await Promise.allSettled(workers);
  const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected) throw rejected.reason;
}
