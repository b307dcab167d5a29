// The builder registry and `buildDataset`: validates the builder name and options, runs the builder
// inside a staging folder, writes manifest.jsonl and dataset.json, and renames the folder into place.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { DataEventHandler } from '../events.js';
import {
  DATASET_FILE,
  FORMAT_VERSION,
  MANIFEST_FILE,
  countSplits,
  describeText,
  mmgenVersion,
  serializeManifest,
  type DatasetInfo,
} from '../format.js';
import { Random } from '../random.js';
import { buildAtomically } from '../staging.js';
import type { BuilderDefinition } from './common.js';
import { digitsBuilder } from './digits.js';
import { emojiBuilder } from './emoji.js';
import { fashionMnistBuilder } from './fashion-mnist.js';
import { folderBuilder } from './folder.js';
import { shapesBuilder } from './shapes.js';
import { spokenDigitsBuilder } from './spoken-digits.js';

export {
  showDataset,
  countDataset,
  type ShowOptions,
  type ShowResult,
  type DatasetCounts,
  type SplitCounts,
} from './show.js';

export const BUILDERS: readonly BuilderDefinition[] = [
  shapesBuilder,
  fashionMnistBuilder,
  emojiBuilder,
  spokenDigitsBuilder,
  digitsBuilder,
  folderBuilder,
];

export const builderNames = (): string[] => BUILDERS.map((builder) => builder.name);

export function getBuilder(name: string): BuilderDefinition {
  const builder = BUILDERS.find((candidate) => candidate.name === name);
  if (!builder) throw new Error(`unknown dataset builder "${name}"; valid builders: ${builderNames().join(', ')}`);
  return builder;
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

type OptionKind = 'boolean' | 'number' | 'string' | 'enum';
export interface OptionHelp {
  flag: string;
  key: string;
  kind: OptionKind;
  description: string;
  defaultValue?: unknown;
  choices?: string[];
}

function innerType(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current.def as { innerType?: z.ZodType };
    if (!def.innerType) return current;
    current = def.innerType;
  }
}

/** Each option of a builder, for help texts and for parsing command-line flags. */
export function builderOptions(name: string): OptionHelp[] {
  const builder = getBuilder(name);
  return Object.entries(builder.options.shape as Record<string, z.ZodType>).map(([key, schema]) => {
    const inner = innerType(schema);
    const type = inner.def.type;
    const kind: OptionKind =
      type === 'boolean' ? 'boolean' : type === 'number' ? 'number' : type === 'enum' ? 'enum' : 'string';
    const def = schema.def as { defaultValue?: unknown };
    const choices = kind === 'enum' ? (inner as z.ZodEnum).options.map(String) : undefined;
    return {
      flag: `--${kebab(key)}`,
      key,
      kind,
      description: schema.description ?? '',
      ...(def.defaultValue !== undefined ? { defaultValue: def.defaultValue } : {}),
      ...(choices ? { choices } : {}),
    };
  });
}

const validList = (name: string): string =>
  builderOptions(name)
    .map((option) => option.flag)
    .join(', ');

/** Checks options (camelCase keys) against the builder's schema; errors name the option and the valid ones. */
export function validateBuilderOptions(name: string, options: Record<string, unknown>): Record<string, unknown> {
  const builder = getBuilder(name);
  const known = new Set(Object.keys(builder.options.shape));
  for (const key of Object.keys(options)) {
    if (!known.has(key))
      throw new Error(`unknown option --${kebab(key)} for builder "${name}"; valid options: ${validList(name)}`);
  }
  const parsed = builder.options.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    const help = builderOptions(name).find((option) => option.key === key);
    throw new Error(
      `invalid --${kebab(key)} for builder "${name}": ${issue?.message ?? 'invalid value'}${help?.description ? ` (${help.description})` : ''}`,
    );
  }
  return parsed.data as Record<string, unknown>;
}

/**
 * Turns `--count 100 --spoken --level=3` into builder options. Boolean options take no value
 * (`--no-spoken` turns one off); others need one.
 */
export function parseBuilderArguments(name: string, args: readonly string[]): Record<string, unknown> {
  const help = builderOptions(name);
  const result: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('--'))
      throw new Error(
        `unexpected argument "${arg}" for builder "${name}"; options look like --count 100 (valid options: ${validList(name)})`,
      );
    const [rawName, inlineValue] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const negated =
      rawName.startsWith('no-') &&
      help.some((option) => option.key === camel(rawName.slice(3)) && option.kind === 'boolean');
    const key = camel(negated ? rawName.slice(3) : rawName);
    const option = help.find((candidate) => candidate.key === key);
    if (!option)
      throw new Error(`unknown option --${rawName} for builder "${name}"; valid options: ${validList(name)}`);
    if (option.kind === 'boolean') {
      if (inlineValue !== undefined && !['true', 'false'].includes(inlineValue))
        throw new Error(`--${rawName} is a switch; use --${rawName} or --no-${rawName}`);
      result[key] = negated ? false : inlineValue !== 'false';
      continue;
    }
    const value = inlineValue ?? args[++i];
    if (value === undefined || (inlineValue === undefined && value.startsWith('--'))) {
      throw new Error(`--${rawName} needs a value${option.choices ? ` (one of ${option.choices.join(', ')})` : ''}`);
    }
    result[key] = value;
  }
  return result;
}

export interface BuildRequest {
  builder: string;
  out: string;
  seed?: number;
  /** Builder options with camelCase keys (strings are coerced). */
  options?: Record<string, unknown>;
  overwrite?: boolean;
  /** Samples processed in parallel (PNG encoding, espeak-ng processes). */
  concurrency?: number;
  onEvent?: DataEventHandler;
  signal?: AbortSignal;
}

export interface BuildSummary {
  dir: string;
  info: DatasetInfo;
  seconds: number;
}

export async function buildDataset(request: BuildRequest): Promise<BuildSummary> {
  const builder = getBuilder(request.builder);
  const options = validateBuilderOptions(builder.name, request.options ?? {});
  const seed = request.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`--seed must be a non-negative integer, got ${request.seed}`);
  const started = performance.now();
  const info = await buildAtomically(
    request.out,
    async (dir) => {
      const output = await builder.build(
        {
          dir,
          seed,
          random: new Random(seed),
          concurrency: request.concurrency ?? 2,
          ...(request.onEvent ? { onEvent: request.onEvent } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
        },
        options,
      );
      if (output.entries.length === 0)
        throw new Error(
          `builder "${builder.name}" produced no samples; check its options (${validList(builder.name)})`,
        );
      const datasetInfo: DatasetInfo = {
        format: FORMAT_VERSION,
        name: builder.name,
        builder: builder.name,
        description: output.description,
        mmgenVersion: mmgenVersion(),
        seed,
        options,
        modalities: {
          ...(output.image ? { image: output.image } : {}),
          ...(output.audio ? { audio: output.audio } : {}),
          text: describeText(output.entries),
        },
        splits: countSplits(output.entries),
        ...(output.attributes ? { attributes: output.attributes } : {}),
        provenance: output.provenance,
      };
      await writeFile(join(dir, MANIFEST_FILE), serializeManifest(output.entries));
      await writeFile(join(dir, DATASET_FILE), `${JSON.stringify(datasetInfo, null, 2)}\n`);
      return datasetInfo;
    },
    { overwrite: request.overwrite ?? false },
  );
  return { dir: request.out, info, seconds: (performance.now() - started) / 1000 };
}
