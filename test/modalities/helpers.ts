// Shared helpers for the modality tests: a seeded random stream, a leak guard, a scratch folder.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory } from '../../src/tensor/index.js';

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs fn (sync or async) and asserts the live-tensor count is the same afterwards. */
export async function withoutLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = memory().tensors;
  const result = await fn();
  assert.equal(memory().tensors, before, `tensors leaked: ${memory().tensors - before}`);
  return result;
}

/** A fresh temporary folder, removed after fn. */
export async function inScratchFolder<T>(fn: (folder: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), 'mmgen-modalities-'));
  try {
    return await fn(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Frequency (Hz) of the strongest bin of a real signal's DFT, refined by parabolic interpolation. */
export function peakFrequency(samples: Float32Array, sampleRate: number): number {
  // A direct DFT over a Hann-windowed middle chunk: independent of the code under test.
  const size = 2 ** Math.min(12, Math.floor(Math.log2(samples.length)));
  const start = Math.floor((samples.length - size) / 2);
  const cos = Float64Array.from({ length: size }, (_, n) => Math.cos((2 * Math.PI * n) / size));
  const sin = Float64Array.from({ length: size }, (_, n) => Math.sin((2 * Math.PI * n) / size));
  const windowed = Float64Array.from(
    { length: size },
    (_, n) => (samples[start + n] ?? 0) * (0.5 - 0.5 * (cos[n] ?? 0)),
  );
  const spectrum: number[] = [];
  for (let k = 0; k <= size / 2; k++) {
    let re = 0;
    let im = 0;
    for (let n = 0; n < size; n++) {
      const at = (k * n) % size;
      re += (windowed[n] ?? 0) * (cos[at] ?? 0);
      im -= (windowed[n] ?? 0) * (sin[at] ?? 0);
    }
    spectrum.push(Math.log(Math.hypot(re, im) + 1e-12));
  }
  let best = 1;
  for (let k = 1; k < spectrum.length - 1; k++) if ((spectrum[k] ?? 0) > (spectrum[best] ?? 0)) best = k;
  const [a, b, c] = [spectrum[best - 1] ?? 0, spectrum[best] ?? 0, spectrum[best + 1] ?? 0];
  const offset = (a - c) / (2 * (a - 2 * b + c));
  return ((best + offset) * sampleRate) / size;
}

export const sine = (frequency: number, sampleRate: number, length: number, amplitude = 0.5): Float32Array =>
  Float32Array.from({ length }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
