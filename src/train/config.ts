// Config files (YAML or JSON) validated by a recipe's zod schema, with `--set key=value` overrides.
// Errors name the bad key and, where the schema knows them, the allowed values.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export type JsonObject = { [key: string]: unknown };

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads a YAML or JSON config file into a plain object. */
export async function readConfigFile(path: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `config ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`config ${path} must be a mapping of keys to values`);
  return value as JsonObject;
}

/** Parses an override value: JSON when it parses (numbers, booleans, arrays), else the raw string. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Applies `a.b.c=value` overrides to a copy of config. */
export function applyOverrides(config: JsonObject, overrides: string[]): JsonObject {
  const out = structuredClone(config);
  for (const override of overrides) {
    const at = override.indexOf('=');
    if (at <= 0)
      throw new ConfigError(`override "${override}" must look like key=value (e.g. --set training.steps=500)`);
    const path = override.slice(0, at).split('.');
    let node: JsonObject = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined) node[key] = {};
      else if (next === null || typeof next !== 'object' || Array.isArray(next))
        throw new ConfigError(`override "${override}": "${key}" is not a section`);
      node = node[key] as JsonObject;
    }
    node[path[path.length - 1] as string] = parseValue(override.slice(at + 1));
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${[...issue.path, k].join('.')}"`).join(', ')}`;
  if (issue.code === 'invalid_value')
    return `"${key}" must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return `"${key}": ${issue.message}`;
}

/** Validates config against schema; throws a ConfigError listing every problem. */
export function validateConfig<S extends z.ZodType>(schema: S, config: unknown, source = 'config'): z.output<S> {
  const result = schema.safeParse(config);
  if (result.success) return result.data;
  const problems = result.error.issues.map(describeIssue);
  throw new ConfigError(`${source} is invalid:\n  - ${problems.join('\n  - ')}`);
}

export { timeLimitMinutes } from '../models/run-settings.js';
