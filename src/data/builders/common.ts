// What every builder shares: the context it writes through, split assignment, and the result it
// hands back for dataset.json. Builders sit above modalities/ (they use the codecs).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { z } from 'zod';
import { encodePng, type RawImage } from '../../modalities/image/index.js';
import type { DataEventHandler } from '../events.js';
import type { AudioInfo, DatasetInfo, ImageInfo, ManifestEntry, Split } from '../format.js';
import { Random } from '../random.js';

export interface BuildContext {
  /** The temporary folder being filled; renamed to the target when the build succeeds. */
  dir: string;
  seed: number;
  random: Random;
  onEvent?: DataEventHandler;
  signal?: AbortSignal;
  /** Processes run in parallel (PNG encoding, espeak-ng). */
  concurrency: number;
}

export interface BuildOutput {
  entries: ManifestEntry[];
  description: string;
  image?: ImageInfo;
  audio?: AudioInfo;
  attributes?: Record<string, string[]>;
  provenance: DatasetInfo['provenance'];
}

export interface BuilderDefinition<Schema extends z.ZodObject = z.ZodObject> {
  name: string;
  summary: string;
  options: Schema;
  build(context: BuildContext, options: z.infer<Schema>): Promise<BuildOutput>;
}

/** Keeps each builder's options typed while the registry holds them as one list. */
export function defineBuilder<Schema extends z.ZodObject>(definition: BuilderDefinition<Schema>): BuilderDefinition {
  return definition as unknown as BuilderDefinition;
}

const createdDirs = new Set<string>();

async function ensureDir(dir: string): Promise<void> {
  if (createdDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  createdDirs.add(dir);
}

export async function writePng(context: BuildContext, relativePath: string, image: RawImage): Promise<void> {
  const path = join(context.dir, relativePath);
  const bytes = await encodePng(image);
  await ensureDir(dirname(path));
  await writeFile(path, bytes);
}

export async function writeBytes(context: BuildContext, relativePath: string, bytes: Uint8Array): Promise<void> {
  const path = join(context.dir, relativePath);
  await ensureDir(dirname(path));
  await writeFile(path, bytes);
}

/** `images/000123.png`-style names that sort in sample order. */
export function sampleFile(folder: string, index: number, total: number, extension: string): string {
  return `${folder}/${String(index).padStart(Math.max(5, String(total - 1).length), '0')}.${extension}`;
}

export interface SplitFractions {
  val: number;
  test: number;
}

/**
 * Assigns splits group by group, so every group (an attribute combination, a class) is split in the
 * same proportions. Sample order within a group is shuffled by the seeded stream.
 */
export function stratifiedSplits(groups: readonly string[], fractions: SplitFractions, random: Random): Split[] {
  if (fractions.val < 0 || fractions.test < 0 || fractions.val + fractions.test >= 1) {
    throw new Error(
      `--val and --test must be fractions ≥ 0 that add up to less than 1, got ${fractions.val} and ${fractions.test}`,
    );
  }
  const members = new Map<string, number[]>();
  groups.forEach((group, index) => {
    const list = members.get(group) ?? [];
    list.push(index);
    members.set(group, list);
  });
  const splits = new Array<Split>(groups.length).fill('train');
  // Rounding is carried from group to group (in a seeded order), so small groups still add up to
  // the requested fractions overall and no group is off by more than one sample.
  const groupOrder = random.fork('split-order').shuffle([...members.keys()].sort());
  let seen = 0;
  for (const group of groupOrder) {
    const indices = members.get(group) ?? [];
    const order = random.fork('split', group).shuffle([...indices]);
    const before = seen;
    seen += order.length;
    const testCount = Math.round(seen * fractions.test) - Math.round(before * fractions.test);
    const valCount = Math.round(seen * fractions.val) - Math.round(before * fractions.val);
    order.forEach((index, position) => {
      splits[index] = position < testCount ? 'test' : position < testCount + valCount ? 'val' : 'train';
    });
  }
  return splits;
}

/** The names of the options of a zod object schema, for error messages and help. */
export function optionNames(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}
