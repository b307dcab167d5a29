// The runs folder as the API lists it: each sub-folder with a config.json is a run, named by its folder.
// Listing reads small JSON files only; opening a run for model work happens in the workers.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { notFound } from './errors.js';
import { checkName } from './paths.js';
import { findRecipe } from '../models/recipes.js';
import type { Capability, Modality } from '../models/run/types.js';

export interface RunSummary {
  id: string;
  recipe: string;
  modalities: { inputs: Modality[]; outputs: Modality[] };
  capabilities: Capability[];
  dataset?: string;
  step?: number;
  updatedAt: string;
  /** Numeric eval metrics (eval.json), flattened to dotted keys. */
  metrics?: Record<string, number>;
  /** URL of the latest sample grid, when training wrote one. */
  latestSample?: string;
}

/**
 * What a run can do, from the run registry, without loading it (a worker loads it for model work). The
 * modalities of a one-way recipe follow from what it does; a joint run's from its recorded data format.
 */
export function describeRecipe(
  recipe: string,
  config: Record<string, unknown>,
): Pick<RunSummary, 'modalities' | 'capabilities'> & { recipe: string } {
  const entry = findRecipe(recipe);
  if (!entry) return { recipe, modalities: { inputs: [], outputs: [] }, capabilities: [] };
  const capabilities = [...entry.capabilities];
  const has = (capability: Capability): boolean => capabilities.includes(capability);
  let modalities: RunSummary['modalities'];
  if (has('translate') || has('sample')) {
    const recorded: Modality[] = [
      'text',
      ...(config.imageShape ? ['image' as const] : []),
      ...(config.audioShape ? ['audio' as const] : []),
    ];
    const all: Modality[] = recorded.length > 1 ? recorded : ['text', 'image', 'audio'];
    modalities = { inputs: all, outputs: all };
  } else if (has('caption')) modalities = { inputs: ['image'], outputs: ['text'] };
  else if (has('transcribe')) modalities = { inputs: ['audio'], outputs: ['text'] };
  else modalities = { inputs: ['text'], outputs: [config.audioShape ? 'audio' : 'image'] };
  return { recipe: entry.name, modalities, capabilities };
}

function flatten(value: unknown, prefix: string, into: Record<string, number>, depth: number): void {
  if (typeof value === 'number' && Number.isFinite(value)) into[prefix] = value;
  else if (value && typeof value === 'object' && !Array.isArray(value) && depth < 4) {
    for (const [key, inner] of Object.entries(value))
      flatten(inner, prefix ? `${prefix}.${key}` : key, into, depth + 1);
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function describeRun(runsDir: string, id: string): Promise<RunSummary> {
  checkName(id, 'run id');
  const dir = join(runsDir, id);
  const config = await readJson(join(dir, 'config.json'));
  if (!config || typeof config.recipe !== 'string')
    throw notFound('unknown_run', `no run "${id}" in the runs folder (GET /v1/runs lists them)`);
  const summary: RunSummary = {
    id,
    ...describeRecipe(config.recipe, config),
    updatedAt: (await stat(join(dir, 'config.json'))).mtime.toISOString(),
  };
  if (typeof config.dataset === 'string') summary.dataset = config.dataset;
  const state = await readJson(join(dir, 'state.json'));
  if (typeof state?.step === 'number') summary.step = state.step;
  const evaluation = await readJson(join(dir, 'eval.json'));
  if (evaluation) {
    const metrics: Record<string, number> = {};
    flatten(evaluation.metrics ?? evaluation, '', metrics, 0);
    summary.metrics = metrics;
  }
  try {
    await stat(join(dir, 'samples', 'latest.png'));
    summary.latestSample = `/v1/files/runs/${id}/samples/latest.png`;
  } catch {
    // no sample grid yet
  }
  return summary;
}

export async function listRuns(runsDir: string): Promise<RunSummary[]> {
  let names: string[];
  try {
    names = (await readdir(runsDir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
  const runs = await Promise.all(
    names
      .filter((name) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name))
      .map((name) => describeRun(runsDir, name).catch(() => undefined)),
  );
  return runs.filter((run): run is RunSummary => run !== undefined).sort((a, b) => a.id.localeCompare(b.id));
}
