// Shared helpers for the data tests: scratch folders, leak checks, file hashes, leftover checks.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory } from '../../src/tensor/index.js';
import type { ManifestEntry } from '../../src/data/index.js';

export async function inScratchFolder<T>(fn: (folder: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), 'mmgen-data-'));
  try {
    return await fn(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

export async function withoutLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = memory().tensors;
  const result = await fn();
  assert.equal(memory().tensors, before, `tensors leaked: ${memory().tensors - before}`);
  return result;
}

export async function readManifest(dir: string): Promise<ManifestEntry[]> {
  const text = await readFile(join(dir, 'manifest.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ManifestEntry);
}

/** sha256 of every file a manifest names, in manifest order. */
export async function hashFiles(dir: string, entries: ManifestEntry[], field: 'image' | 'audio'): Promise<string[]> {
  return Promise.all(
    entries.map(async (entry) =>
      createHash('sha256')
        .update(await readFile(join(dir, entry[field] as string)))
        .digest('hex'),
    ),
  );
}

/** Asserts a folder holds exactly the given names (no half-built datasets, no temporary folders). */
export async function assertFolderHolds(folder: string, names: string[]): Promise<void> {
  assert.deepEqual((await readdir(folder)).sort(), [...names].sort());
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
