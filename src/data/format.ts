// The on-disk dataset format: a folder with dataset.json (what the data is and where it came from)
// and manifest.jsonl (one sample per line). Image and audio paths are relative to the folder.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const FORMAT_VERSION = 1;
export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export const manifestEntrySchema = z.object({
  id: z.string().min(1),
  split: z.enum(SPLITS),
  text: z.string(),
  image: z.string().optional(),
  audio: z.string().optional(),
  /** Judged attributes (shape, colour, class…), as strings. */
  attributes: z.record(z.string(), z.string()).optional(),
  /** Further captions that also describe the sample (emoji keywords), for captioning metrics. */
  references: z.array(z.string()).optional(),
});
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;

export const imageInfoSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
  format: z.literal('png'),
});
export type ImageInfo = z.infer<typeof imageInfoSchema>;

export const audioInfoSchema = z.object({
  sampleRate: z.number().int().positive(),
  /** Every clip has exactly this many samples (mono). */
  samples: z.number().int().positive(),
  channels: z.literal(1),
  format: z.literal('wav'),
});
export type AudioInfo = z.infer<typeof audioInfoSchema>;

export const textInfoSchema = z.object({
  /** Word vocabulary of all captions (lower case, sorted). */
  vocabulary: z.array(z.string()),
  maxWords: z.number().int().nonnegative(),
  maxChars: z.number().int().nonnegative(),
});
export type TextInfo = z.infer<typeof textInfoSchema>;

export const datasetInfoSchema = z.object({
  format: z.literal(FORMAT_VERSION),
  name: z.string(),
  builder: z.string(),
  description: z.string(),
  mmgenVersion: z.string(),
  seed: z.number().int().nonnegative(),
  options: z.record(z.string(), z.unknown()),
  modalities: z.object({
    image: imageInfoSchema.optional(),
    audio: audioInfoSchema.optional(),
    text: textInfoSchema,
  }),
  splits: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }),
  /** For judged datasets: every attribute and its possible values. */
  attributes: z.record(z.string(), z.array(z.string())).optional(),
  provenance: z.object({
    sources: z.array(z.string()),
    licence: z.string(),
    notes: z.string().optional(),
  }),
});
export type DatasetInfo = z.infer<typeof datasetInfoSchema>;

export const DATASET_FILE = 'dataset.json';
export const MANIFEST_FILE = 'manifest.jsonl';

let cachedVersion: string | undefined;
/** The mmgen version from package.json, recorded in every dataset. */
export function mmgenVersion(): string {
  if (cachedVersion === undefined) {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const parsed = z.object({ version: z.string() }).parse(JSON.parse(text));
    cachedVersion = parsed.version;
  }
  return cachedVersion;
}

/** Words of a caption as the vocabulary counts them. */
export function captionWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}']+/u)
    .filter((word) => word.length > 0);
}

/** Text statistics of a set of captions (references included). */
export function describeText(entries: readonly ManifestEntry[]): TextInfo {
  const words = new Set<string>();
  let maxWords = 0;
  let maxChars = 0;
  for (const entry of entries) {
    for (const caption of [entry.text, ...(entry.references ?? [])]) {
      const captionList = captionWords(caption);
      for (const word of captionList) words.add(word);
      if (caption === entry.text) {
        maxWords = Math.max(maxWords, captionList.length);
        maxChars = Math.max(maxChars, caption.length);
      }
    }
  }
  return { vocabulary: [...words].sort(), maxWords, maxChars };
}

export function countSplits(entries: readonly ManifestEntry[]): DatasetInfo['splits'] {
  const splits = { train: 0, val: 0, test: 0 };
  for (const entry of entries) splits[entry.split]++;
  return splits;
}

/** One JSON line per entry, keys always in the same order (id, split, text, image, audio, attributes, references). */
export function serializeManifest(entries: readonly ManifestEntry[]): string {
  const lines = entries.map((entry) =>
    JSON.stringify({
      id: entry.id,
      split: entry.split,
      text: entry.text,
      ...(entry.image !== undefined ? { image: entry.image } : {}),
      ...(entry.audio !== undefined ? { audio: entry.audio } : {}),
      ...(entry.attributes !== undefined ? { attributes: entry.attributes } : {}),
      ...(entry.references !== undefined ? { references: entry.references } : {}),
    }),
  );
  return lines.join('\n') + (lines.length > 0 ? '\n' : '');
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

export function parseManifest(text: string, source: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? '';
    if (line === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new Error(
        `${source} line ${i + 1} is not valid JSON (${(error as Error).message}); rebuild the dataset with \`mmgen data build\``,
        { cause: error },
      );
    }
    const parsed = manifestEntrySchema.safeParse(raw);
    if (!parsed.success)
      throw new Error(`${source} line ${i + 1} is not a manifest entry: ${formatIssues(parsed.error)}`);
    entries.push(parsed.data);
  }
  return entries;
}

export interface Dataset {
  dir: string;
  info: DatasetInfo;
  entries: ManifestEntry[];
}

/** Reads and checks dataset.json and manifest.jsonl of a dataset folder. */
export async function readDataset(dir: string): Promise<Dataset> {
  const infoPath = join(dir, DATASET_FILE);
  let infoText: string;
  try {
    infoText = await readFile(infoPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${dir} is not an mmgen dataset: ${DATASET_FILE} is missing (build one with \`mmgen data build NAME --out ${dir}\`)`
        : `cannot read ${infoPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let rawInfo: unknown;
  try {
    rawInfo = JSON.parse(infoText);
  } catch (error) {
    throw new Error(`${infoPath} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const info = datasetInfoSchema.safeParse(rawInfo);
  if (!info.success) throw new Error(`${infoPath} is not a valid dataset description: ${formatIssues(info.error)}`);
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${manifestPath}: ${(error as Error).message}`, { cause: error });
  }
  return { dir, info: info.data, entries: parseManifest(manifestText, manifestPath) };
}
