// Runs, datasets and configs: GET /v1/runs, /v1/runs/:id, /v1/datasets, /v1/datasets/:id, /v1/configs.
import { spawn } from 'node:child_process';
import { access, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { countDataset } from '../../data/builders/show.js';
import { readDataset } from '../../data/format.js';
import { describeRun, listRuns } from '../catalog.js';
import type { ServeContext } from '../context.js';
import { HttpError, notFound } from '../errors.js';
import { checkName } from '../paths.js';
import { errorSchema, idParams, runSchema } from '../schemas.js';

const CLI = fileURLToPath(new URL('../../../bin/mmgen.js', import.meta.url));

async function datasetNames(dataDir: string): Promise<string[]> {
  try {
    const entries = await readdir(dataDir, { withFileTypes: true });
    const names = entries
      .filter((entry) => entry.isDirectory() && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(entry.name))
      .map((entry) => entry.name);
    const present = await Promise.all(
      names.map(async (name) =>
        access(join(dataDir, name, 'dataset.json')).then(
          () => name,
          () => undefined,
        ),
      ),
    );
    return present.filter((name): name is string => name !== undefined).sort();
  } catch {
    return [];
  }
}

/** Draws a dataset's contact sheet once (`mmgen data show` in a child process: audio tiles need libtorch). */
async function contactSheet(context: ServeContext, name: string): Promise<string> {
  const folder = join(context.folders.outputsDir, 'datasets');
  const sheet = join(folder, `${name}.png`);
  try {
    await stat(sheet);
    return sheet;
  } catch {
    await mkdir(folder, { recursive: true });
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, 'data', 'show', join(context.folders.dataDir, name), '--out', sheet, '--samples', '32'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new HttpError(
              500,
              'sheet_failed',
              `drawing the contact sheet of "${name}" failed: ${errors.trim().split('\n').at(-1) ?? code}`,
            ),
          ),
    );
  });
  return sheet;
}

export function runRoutes(app: FastifyInstance, context: ServeContext): void {
  app.get(
    '/v1/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Runs in the runs folder',
        response: { 200: { type: 'object', properties: { runs: { type: 'array', items: runSchema } } } },
      },
    },
    async () => ({ runs: await listRuns(context.folders.runsDir) }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/runs/:id',
    {
      schema: {
        tags: ['runs'],
        summary: 'One run: recipe, modalities, capabilities, eval metrics, latest sample grid',
        params: idParams,
        response: { 200: runSchema, 400: errorSchema, 404: errorSchema },
      },
    },
    async (request) => describeRun(context.folders.runsDir, request.params.id),
  );

  app.get(
    '/v1/configs',
    {
      schema: {
        tags: ['train'],
        summary: 'Training configs in the configs folder',
        response: { 200: { type: 'object', properties: { configs: { type: 'array', items: { type: 'string' } } } } },
      },
    },
    async () => {
      const names = await readdir(context.folders.configsDir).catch(() => [] as string[]);
      return { configs: names.filter((name) => /^[A-Za-z0-9][A-Za-z0-9._-]*\.(ya?ml|json)$/.test(name)).sort() };
    },
  );

  app.get(
    '/v1/datasets',
    {
      schema: {
        tags: ['data'],
        summary: 'Datasets in the data folder',
        response: { 200: { type: 'object', properties: { datasets: { type: 'array', items: { type: 'string' } } } } },
      },
    },
    async () => ({ datasets: await datasetNames(context.folders.dataDir) }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/datasets/:id',
    {
      schema: {
        tags: ['data'],
        summary: 'A dataset: description, counts per split and attribute, contact sheet',
        params: idParams,
        response: { 400: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const name = checkName(request.params.id, 'dataset name');
      if (!(await datasetNames(context.folders.dataDir)).includes(name))
        throw notFound('unknown_dataset', `no dataset "${name}" in the data folder (GET /v1/datasets lists them)`);
      const dataset = await readDataset(join(context.folders.dataDir, name));
      await contactSheet(context, name);
      return {
        id: name,
        info: dataset.info,
        counts: countDataset(dataset),
        sheet: `/v1/files/outputs/datasets/${name}.png`,
      };
    },
  );
}
