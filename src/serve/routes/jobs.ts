// The job API: POST /v1/jobs → 202 {id}; GET /v1/jobs (history, paginated); GET /v1/jobs/:id;
// GET /v1/jobs/:id/events (Server-Sent Events with ids, Last-Event-ID resume); DELETE /v1/jobs/:id.
import type { FastifyInstance } from 'fastify';
import { type ServeContext, busyGuard, submitJob } from '../context.js';
import { notFound } from '../errors.js';
import { errorSchema, idParams, jobSchema, jobSpecSchema } from '../schemas.js';
import { type JobEvent, type JobRecord, type JobSpec, isFinished } from '../types.js';

const HEARTBEAT_MS = 15_000;

function jobOf(context: ServeContext, id: string): JobRecord {
  const record = context.queue.get(id);
  if (!record)
    throw notFound(
      'unknown_job',
      `no job "${id.slice(0, 80)}" (it may be older than the history kept; GET /v1/jobs lists them)`,
    );
  return record;
}

export function jobRoutes(app: FastifyInstance, context: ServeContext): void {
  app.post<{ Body: Partial<JobSpec> & Pick<JobSpec, 'task'> }>(
    '/v1/jobs',
    {
      onRequest: busyGuard(context),
      schema: {
        tags: ['jobs'],
        summary: 'Queue a job; answers at once with its id',
        body: jobSpecSchema,
        response: {
          202: {
            type: 'object',
            properties: { id: { type: 'string' }, state: { type: 'string' }, events: { type: 'string' } },
          },
          400: errorSchema,
          404: errorSchema,
          413: errorSchema,
          429: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { run, task, inputs = {}, params = {} } = request.body;
      const record = await submitJob(context, { run, task, inputs, params });
      return reply
        .code(202)
        .header('location', `/v1/jobs/${record.id}`)
        .send({ id: record.id, state: record.state, events: `/v1/jobs/${record.id}/events` });
    },
  );

  app.get<{ Querystring: { offset?: number; limit?: number } }>(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Job history with parameters, newest first',
        querystring: {
          type: 'object',
          properties: {
            offset: { type: 'integer', minimum: 0, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              jobs: { type: 'array', items: jobSchema },
              total: { type: 'integer' },
              offset: { type: 'integer' },
              limit: { type: 'integer' },
            },
          },
        },
      },
    },
    async (request) => {
      const offset = request.query.offset ?? 0;
      const limit = request.query.limit ?? 50;
      return { ...context.queue.list(offset, limit), offset, limit };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'A job: state, progress, result files',
        params: idParams,
        response: { 200: jobSchema, 404: errorSchema },
      },
    },
    async (request) => jobOf(context, request.params.id),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel this job (and no other); a training job writes a checkpoint first',
        params: idParams,
        response: { 202: jobSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (request, reply) => {
      const record = jobOf(context, request.params.id);
      if (isFinished(record.state))
        return reply.code(409).send({
          error: 'job_finished',
          message: `job ${record.id} has already finished (${record.state})`,
          statusCode: 409,
        });
      const before = context.queue.cancelQueued(record.id);
      if (before === 'running') context.executor.cancel(record.id);
      return reply.code(202).send(context.queue.get(record.id));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { lastEventId?: number } }>(
    '/v1/jobs/:id/events',
    {
      schema: {
        tags: ['jobs'],
        summary:
          'Server-Sent Events of a job: queued, started, progress, sample, done, error, cancelled; resume with Last-Event-ID',
        params: idParams,
        querystring: { type: 'object', properties: { lastEventId: { type: 'integer', minimum: 0 } } },
        response: { 404: errorSchema },
      },
    },
    (request, reply) => {
      const record = jobOf(context, request.params.id);
      const header = Number(request.headers['last-event-id']);
      const after = Number.isInteger(header) && header >= 0 ? header : (request.query.lastEventId ?? 0);
      reply.hijack();
      const stream = reply.raw;
      stream.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      stream.write('retry: 2000\n\n');
      let closed = false;
      const finish = (): void => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        stream.end();
      };
      const send = (event: JobEvent): void => {
        if (closed) return;
        stream.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        if (event.type === 'done' || event.type === 'error' || event.type === 'cancelled') setImmediate(finish);
      };
      const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
      let unsubscribe: () => void = () => {};
      unsubscribe = context.queue.subscribe(record.id, after, send);
      if (isFinished(record.state)) setImmediate(finish);
      request.raw.on('close', finish);
    },
  );
}
