// A small seeded random stream for builders. Written by hand because builders draw millions of
// numbers synchronously per pixel and per sample; libtorch's Generator returns tensors, which would
// cost one native call per draw. `fork(...keys)` gives an independent stream per sample, so a
// sample's content depends only on (seed, its index), not on what was drawn before it.

/** Mixes 32-bit integers into one (murmur3 finaliser steps). */
export function mixSeed(...values: number[]): number {
  let hash = 0x9e3779b9;
  for (const value of values) {
    let k = Math.imul(value >>> 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    hash ^= k;
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
    // values above 2^32 (large seeds) contribute their high part too
    if (value >= 0x100000000) hash ^= Math.floor(value / 0x100000000) * 0x85ebca6b;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = mixSeed(seed) || 0x6d2b79f5;
  }

  /** An independent stream for a sub-task: same (seed, keys) → same stream. */
  fork(...keys: (number | string)[]): Random {
    const child = new Random(0);
    child.state =
      mixSeed(this.state, ...keys.map((key) => (typeof key === 'number' ? key : hashString(key)))) || 0x6d2b79f5;
    return child;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates, in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const held = items[i] as T;
      items[i] = items[j] as T;
      items[j] = held;
    }
    return items;
  }
}
