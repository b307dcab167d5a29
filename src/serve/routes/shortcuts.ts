// Uploads and the synchronous shortcuts for scripts: POST /v1/uploads, /v1/generate, /v1/caption (multipart
// image), /v1/transcribe (multipart WAV), /v1/translate. They go through the same queue as jobs (so 429 too).
import type { FastifyInstance } from 'fastify';
import { type ServeContext, busyGuard, shortcutAnswer, submitJob, waitForJob } from '../context.js';
import { badRequest } from '../errors.js';
import { errorSchema, resultSchema } from '../schemas.js';
import type { JobSpec } from '../types.js';
import { discardUpload, receiveUpload } from '../uploads.js';

const answer = { type: 'object', properties: { job: { type: 'string' }, ...resultSchema.properties } } as const;
const errors = {
  400: errorSchema,
  404: errorSchema,
  413: errorSchema,
  415: errorSchema,
  422: errorSchema,
  429: errorSchema,
  503: errorSchema,
} as const;

function integerField(fields: Record<string, string>, name: string): number | undefined {
  const value = fields[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number))
    throw badRequest('bad_param', `field "${name}" must be a whole number, got "${value.slice(0, 40)}"`);
  return number;
}

/** The run id from the multipart field "run" (sent before the file) or the query (?run=). */
function runOf(fields: Record<string, string>, query: unknown): string {
  const id = fields.run ?? (query as Record<string, string | undefined>).run;
  if (!id) throw badRequest('missing_run', 'name the run: a multipart field "run" sent before the file, or ?run=ID');
  return id;
}

export function shortcutRoutes(app: FastifyInstance, context: ServeContext): void {
  const guard = busyGuard(context);
  const run = async (spec: JobSpec) => shortcutAnswer(await waitForJob(context, (await submitJob(context, spec)).id));

  app.post(
    '/v1/uploads',
    {
      schema: {
        tags: ['files'],
        summary:
          'Upload an image or WAV (multipart field "file", ≤ 10 MB, WAV ≤ 30 s); answers the path jobs take as input',
        consumes: ['multipart/form-data'],
        response: {
          201: {
            type: 'object',
            properties: { kind: { type: 'string' }, path: { type: 'string' }, bytes: { type: 'integer' } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const upload = await receiveUpload(request, context.folders.outputsDir);
      return reply.code(201).send({ kind: upload.kind, path: upload.path, bytes: upload.bytes });
    },
  );

  app.post<{ Body: { run: string; text: string; n?: number; seed?: number } }>(
    '/v1/generate',
    {
      onRequest: guard,
      schema: {
        tags: ['shortcuts'],
        summary: 'Generate images or clips from a prompt and wait for them',
        body: {
          type: 'object',
          required: ['run', 'text'],
          additionalProperties: false,
          properties: {
            run: { type: 'string', maxLength: 128 },
            text: { type: 'string', maxLength: 100000 },
            n: { type: 'integer' },
            seed: { type: 'integer' },
          },
        },
        response: { 200: answer, ...errors },
      },
    },
    async (request) => {
      const { run: id, text, n, seed } = request.body;
      return run({ run: id, task: 'generate', inputs: { text }, params: { n, seed } });
    },
  );

  app.post(
    '/v1/caption',
    {
      onRequest: guard,
      schema: {
        tags: ['shortcuts'],
        summary: 'Caption one image (multipart: field "file", fields "run" and optional "beam")',
        consumes: ['multipart/form-data'],
        response: { 200: answer, ...errors },
      },
    },
    async (request) => {
      const upload = await receiveUpload(request, context.folders.outputsDir, 'image');
      try {
        return await run({
          run: runOf(upload.fields, request.query),
          task: 'caption',
          inputs: { images: [upload.path] },
          params: { beam: integerField(upload.fields, 'beam') },
        });
      } finally {
        await discardUpload(context.folders.outputsDir, upload);
      }
    },
  );

  app.post(
    '/v1/transcribe',
    {
      onRequest: guard,
      schema: {
        tags: ['shortcuts'],
        summary: 'Transcribe one WAV (multipart: field "file", fields "run" and optional "beam")',
        consumes: ['multipart/form-data'],
        response: { 200: answer, ...errors },
      },
    },
    async (request) => {
      const upload = await receiveUpload(request, context.folders.outputsDir, 'audio');
      try {
        return await run({
          run: runOf(upload.fields, request.query),
          task: 'transcribe',
          inputs: { clips: [upload.path] },
          params: { beam: integerField(upload.fields, 'beam') },
        });
      } finally {
        await discardUpload(context.folders.outputsDir, upload);
      }
    },
  );

  app.post<{
    Body: {
      run: string;
      text?: string;
      image?: string;
      audio?: string;
      to?: ('text' | 'image' | 'audio')[];
      n?: number;
      seed?: number;
    };
  }>(
    '/v1/translate',
    {
      onRequest: guard,
      schema: {
        tags: ['shortcuts'],
        summary:
          'Translate text, an uploaded image or WAV (paths from /v1/uploads) into the other modalities of a joint run',
        body: {
          type: 'object',
          required: ['run'],
          additionalProperties: false,
          properties: {
            run: { type: 'string', maxLength: 128 },
            text: { type: 'string', maxLength: 100000 },
            image: { type: 'string', maxLength: 1024 },
            audio: { type: 'string', maxLength: 1024 },
            to: { type: 'array', items: { type: 'string', enum: ['text', 'image', 'audio'] } },
            n: { type: 'integer' },
            seed: { type: 'integer' },
          },
        },
        response: { 200: answer, ...errors },
      },
    },
    async (request) => {
      const { run: id, text, image, audio, to, n, seed } = request.body;
      return run({ run: id, task: 'translate', inputs: { text, image, audio }, params: { to, n, seed } });
    },
  );
}
