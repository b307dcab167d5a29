// Reading a run folder back: its config.json, and weights saved under module-name prefixes.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';

/** Reads a run's config.json; a clear error when the folder is not a run. */
export async function readRunConfig(runDir: string, file = 'config.json'): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(join(runDir, file), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(
      `${runDir} is not a readable mmgen run (${file}: ${(error as Error).message}); train one with \`mmgen train CONFIG --out ${runDir}\``,
      { cause: error },
    );
  }
}

/** Validates a run's config (mmgen's own keys removed) against its recipe's schema. */
export function parseRunConfig<Config>(
  runDir: string,
  recipe: { name: string; schema: z.ZodType<Config> },
  config: Record<string, unknown>,
): Config {
  const parsed = recipe.schema.safeParse(config);
  if (!parsed.success)
    throw new Error(
      `${runDir}/config.json does not match recipe ${recipe.name}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Keys of a map under `prefix.`, with the prefix removed. */
export function withPrefix(map: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [key, value] of map) if (key.startsWith(`${prefix}.`)) out.set(key.slice(prefix.length + 1), value);
  return out;
}

/** Loads trained weights under `name.*` and EMA weights under `ema.name.*` (the trained ones when absent). */
export function loadTrainedAndAveraged(
  weights: Map<string, Tensor>,
  name: string,
  trained: Module,
  averaged: Module,
): void {
  const own = withPrefix(weights, name);
  const ema = withPrefix(weights, `ema.${name}`);
  trained.loadStateDict(own.size > 0 ? own : ema);
  averaged.loadStateDict(ema.size > 0 ? ema : own);
}
