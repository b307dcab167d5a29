// GET /v1/files/runs/… and /v1/files/outputs/…: files of runs and of jobs, never anything outside those folders.
import type { FastifyInstance } from 'fastify';
import { basename, dirname } from 'node:path';
import type { ServeContext } from '../context.js';
import { existingInside } from '../paths.js';
import { errorSchema } from '../schemas.js';

export function fileRoutes(app: FastifyInstance, context: ServeContext): void {
  const roots = { runs: context.folders.runsDir, outputs: context.folders.outputsDir } as const;
  for (const [name, root] of Object.entries(roots)) {
    app.get<{ Params: { '*': string } }>(
      `/v1/files/${name}/*`,
      {
        schema: {
          tags: ['files'],
          summary: `A file in the ${name} folder`,
          response: { 400: errorSchema, 404: errorSchema },
        },
      },
      async (request, reply) => {
        const path = await existingInside(root, request.params['*'], 'file path');
        return reply.sendFile(basename(path), dirname(path), { dotfiles: 'deny' });
      },
    );
  }
}
