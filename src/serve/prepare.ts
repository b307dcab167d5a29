// Checks a job request against the run and the served folders and turns it into what the executor runs.
// Every refusal is a 4xx naming the input and the fix; nothing is read outside the served folders.
import { access } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { applyOverrides, readConfigFile } from '../train/config.js';
import { describeRun } from './catalog.js';
import { HttpError, badRequest } from './errors.js';
import type { Prepared } from './worker-protocol.js';
import { checkName, existingInside } from './paths.js';
import type { Modality } from '../models/run/types.js';
import type { JobSpec } from './types.js';

export interface Folders {
  runsDir: string;
  outputsDir: string;
  dataDir: string;
  configsDir: string;
}

export const LIMITS = { promptCharacters: 500, maxN: 64, maxSeed: 2 ** 31 - 1 } as const;

function count(value: number | undefined, fallback: number, what: string, max: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw badRequest('bad_param', `${what} must be a whole number from 1 to ${max}, got ${String(value)}`);
  return n;
}

function seedOf(value: number | undefined): number {
  const seed = value ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > LIMITS.maxSeed)
    throw badRequest(
      'bad_param',
      `params.seed must be a whole number from 0 to ${LIMITS.maxSeed}, got ${String(value)}`,
    );
  return seed;
}

function prompt(text: string | undefined, required: boolean): string | undefined {
  if (text === undefined || text.trim() === '') {
    if (required) throw badRequest('missing_input', 'inputs.text is required: the prompt to generate from');
    return undefined;
  }
  if (text.length > LIMITS.promptCharacters)
    throw new HttpError(
      413,
      'prompt_too_long',
      `inputs.text holds ${text.length} characters; a prompt may hold at most ${LIMITS.promptCharacters}`,
    );
  return text;
}

const files = (folders: Folders, paths: string[], what: string): Promise<string[]> =>
  Promise.all(paths.map((path) => existingInside(folders.outputsDir, path, what)));

export async function prepareJob(spec: JobSpec, folders: Folders): Promise<Prepared> {
  const { inputs, params } = spec;
  if (spec.task === 'train') return prepareTraining(spec, folders);
  if (spec.run === undefined)
    throw badRequest('missing_run', `task ${spec.task} needs "run": a run id from GET /v1/runs`);
  const run = await describeRun(folders.runsDir, spec.run);
  const runDir = join(folders.runsDir, run.id);
  if (spec.task === 'eval') return { kind: 'eval', runDir, runId: run.id };
  if (!run.capabilities.includes(spec.task)) {
    throw badRequest(
      'unsupported_task',
      `run "${run.id}" (${run.recipe}) cannot ${spec.task}; it can ${run.capabilities.join(', ') || 'nothing'}`,
    );
  }
  const beam = params.beam === undefined ? undefined : count(params.beam, 1, 'params.beam', 16);
  const n = count(params.n, spec.task === 'translate' ? 1 : 4, 'params.n', LIMITS.maxN);
  const seed = seedOf(params.seed);
  switch (spec.task) {
    case 'generate':
      return { kind: 'inference', job: { task: 'generate', runDir, text: prompt(inputs.text, true), n, seed } };
    case 'caption': {
      const images = [...(inputs.images ?? []), ...(inputs.image ? [inputs.image] : [])];
      if (images.length === 0)
        throw badRequest('missing_input', 'inputs.images is required: paths returned by POST /v1/uploads');
      return {
        kind: 'inference',
        job: { task: 'caption', runDir, images: await files(folders, images, 'inputs.images'), n, seed, beam },
      };
    }
    case 'transcribe': {
      const clips = [...(inputs.clips ?? []), ...(inputs.audio ? [inputs.audio] : [])];
      if (clips.length === 0)
        throw badRequest('missing_input', 'inputs.clips is required: paths returned by POST /v1/uploads');
      return {
        kind: 'inference',
        job: { task: 'transcribe', runDir, clips: await files(folders, clips, 'inputs.clips'), n, seed, beam },
      };
    }
    case 'translate': {
      const text = prompt(inputs.text, false);
      const image = inputs.image === undefined ? undefined : (await files(folders, [inputs.image], 'inputs.image'))[0];
      const audio = inputs.audio === undefined ? undefined : (await files(folders, [inputs.audio], 'inputs.audio'))[0];
      if (text === undefined && image === undefined && audio === undefined)
        throw badRequest('missing_input', 'translate needs at least one of inputs.text, inputs.image, inputs.audio');
      const given = new Set<Modality>([
        ...(text ? ['text' as const] : []),
        ...(image ? ['image' as const] : []),
        ...(audio ? ['audio' as const] : []),
      ]);
      const to = (params.to ?? run.modalities.outputs.filter((modality) => !given.has(modality))) as Modality[];
      for (const modality of to) {
        if (!run.modalities.outputs.includes(modality))
          throw badRequest(
            'bad_param',
            `params.to names "${modality}", which run "${run.id}" does not make (${run.modalities.outputs.join(', ')})`,
          );
      }
      if (to.length === 0) throw badRequest('bad_param', 'params.to is empty: name the modalities to translate into');
      return { kind: 'inference', job: { task: 'translate', runDir, text, image, audio, to, n, seed } };
    }
    case 'sample':
      return { kind: 'inference', job: { task: 'sample', runDir, n, seed } };
  }
}

async function prepareTraining(spec: JobSpec, folders: Folders): Promise<Prepared> {
  const { inputs, params } = spec;
  let raw: Record<string, unknown>;
  if (typeof inputs.config === 'string') {
    const path = join(folders.configsDir, checkName(inputs.config, 'inputs.config'));
    try {
      await access(path);
    } catch {
      throw new HttpError(
        404,
        'unknown_config',
        `no config "${inputs.config}" in the configs folder (GET /v1/configs lists them)`,
      );
    }
    raw = await readConfigFile(path);
  } else if (inputs.config && typeof inputs.config === 'object') raw = { ...inputs.config };
  else
    throw badRequest(
      'missing_input',
      'inputs.config is required: a config name from GET /v1/configs, or a config object',
    );
  if (inputs.dataset !== undefined) {
    const dataset = join(folders.dataDir, checkName(inputs.dataset, 'inputs.dataset'));
    try {
      await access(join(dataset, 'dataset.json'));
    } catch {
      throw new HttpError(
        404,
        'unknown_dataset',
        `no dataset "${inputs.dataset}" in the data folder (GET /v1/datasets lists them)`,
      );
    }
    raw.dataset = dataset;
  }
  try {
    raw = applyOverrides(raw, params.set ?? []);
  } catch (error) {
    throw badRequest('bad_param', `params.set: ${error instanceof Error ? error.message : String(error)}`);
  }
  const recipe = typeof raw.recipe === 'string' ? raw.recipe : 'run';
  const runId = checkName(params.name ?? `${recipe}-${new Date().toISOString().replace(/[:.]/g, '-')}`, 'params.name');
  const runDir = join(folders.runsDir, runId);
  try {
    await access(runDir);
    throw new HttpError(409, 'run_exists', `a run "${runId}" exists already; choose another params.name`);
  } catch (error) {
    if (error instanceof HttpError) throw error;
  }
  // the config is validated against its recipe's schema here, so a bad one is a 400, not a failed job
  const { resolveConfig } = await import('../train/recipes.js');
  try {
    resolveConfig(raw, 'inputs.config');
  } catch (error) {
    throw badRequest('bad_config', error instanceof Error ? error.message : String(error));
  }
  // training reads only datasets of the data folder
  const dataset = resolve(String(raw.dataset));
  const inside = relative(resolve(folders.dataDir), dataset);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw badRequest(
      'dataset_outside',
      `the config's dataset ${JSON.stringify(raw.dataset)} is not in the server's data folder; name one with inputs.dataset (GET /v1/datasets lists them)`,
    );
  }
  return { kind: 'train', order: { config: raw, runDir, resume: false }, runId };
}
