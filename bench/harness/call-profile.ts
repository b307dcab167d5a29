// Counts and times every call into the native addon while a function runs, by wrapping the binding's
// methods (Tensor methods look them up on the binding at each call, so the wrappers see every call).
import { performance } from 'node:perf_hooks';
import { native } from '../../src/tensor/native.js';
import { mainThreadTimes } from './proc-status.js';

export interface CallProfile {
  counts: Map<string, number>;
  /** ms spent inside each native function. */
  ms: Map<string, number>;
  /** main-thread CPU ms inside the functions named in cpuTimed. */
  cpuMs: Map<string, number>;
  totalCalls: number;
  totalNativeMs: number;
}

type AnyFunction = (...args: unknown[]) => unknown;

/** cpuTimed: functions whose CPU time is read too (a /proc read per call, so only for a few big calls). */
export function profileNativeCalls(run: () => void, cpuTimed: string[] = []): CallProfile {
  const binding = native() as unknown as Record<string, unknown>;
  const originals = new Map<string, AnyFunction>();
  const counts = new Map<string, number>();
  const ms = new Map<string, number>();
  const cpuMs = new Map<string, number>();
  let depth = 0;
  for (const [name, value] of Object.entries(binding)) {
    if (typeof value !== 'function') continue;
    const original = value as AnyFunction;
    originals.set(name, original);
    if (cpuTimed.includes(name)) {
      binding[name] = (...args: unknown[]): unknown => {
        const cpuBefore = mainThreadTimes().cpuMs;
        const started = performance.now();
        try {
          return original.apply(binding, args);
        } finally {
          const elapsed = performance.now() - started;
          counts.set(name, (counts.get(name) ?? 0) + 1);
          ms.set(name, (ms.get(name) ?? 0) + elapsed);
          cpuMs.set(name, (cpuMs.get(name) ?? 0) + mainThreadTimes().cpuMs - cpuBefore);
        }
      };
      continue;
    }
    binding[name] = (...args: unknown[]): unknown => {
      // only outermost calls count (a native function never calls back into JS, but be safe)
      if (depth > 0) return original.apply(binding, args);
      depth++;
      const started = performance.now();
      try {
        return original.apply(binding, args);
      } finally {
        const elapsed = performance.now() - started;
        depth--;
        counts.set(name, (counts.get(name) ?? 0) + 1);
        ms.set(name, (ms.get(name) ?? 0) + elapsed);
      }
    };
  }
  try {
    run();
  } finally {
    for (const [name, original] of originals) binding[name] = original;
  }
  let totalCalls = 0;
  let totalNativeMs = 0;
  for (const count of counts.values()) totalCalls += count;
  for (const value of ms.values()) totalNativeMs += value;
  return { counts, ms, cpuMs, totalCalls, totalNativeMs };
}
