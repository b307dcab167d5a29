// The mmgen HTTP server: fastify with JSON schemas and an OpenAPI page, the job queue and its model workers,
// the studio's static files. Loopback by default; a token (bearer auth + rate limit) is required elsewhere.
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import bearerAuth from '@fastify/bearer-auth';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ServeContext } from './context.js';
import { HttpError } from './errors.js';
import { Executor } from './executor.js';
import { type JobQueue, MemoryJobQueue } from './queue.js';
import { fileRoutes } from './routes/files.js';
import { jobRoutes } from './routes/jobs.js';
import { runRoutes } from './routes/runs.js';
import { shortcutRoutes } from './routes/shortcuts.js';
import { systemRoutes } from './routes/system.js';
import { UPLOAD_LIFETIME_MS, UPLOAD_LIMITS, sweepUploads } from './uploads.js';
import { WorkerPool } from './worker-pool.js';

export interface ServeOptions {
  runsDir: string;
  outputsDir: string;
  dataDir: string;
  configsDir: string;
  host: string;
  port: number;
  token?: string | undefined;
  queueSize: number;
  /** Model worker processes (each holds libtorch, ~190 MB). */
  workers: number;
  /** Training and eval jobs at once (each a child process). */
  trainSlots: number;
  jobTimeoutSeconds: number;
  /** Requests per minute per client when a token is set. */
  rateLimit: number;
  /** An origin allowed by CORS; off when absent. */
  cors?: string | undefined;
  /** Finished jobs kept in the history (their output files too); default 1000. */
  history?: number;
  /** A queue to use instead of the in-process one (e.g. BullMQ). */
  queue?: JobQueue;
  logger?: boolean;
}

export interface Server {
  app: FastifyInstance;
  context: ServeContext;
  url: string;
  /** Drains: no new jobs; queued ones are cancelled, running ones finish (training checkpoints); then closes. */
  close(): Promise<void>;
}

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
/** uPlot's files, wherever npm put the package. */
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startServer(options: ServeOptions): Promise<Server> {
  if (!isLoopback(options.host) && !options.token) {
    throw new Error(
      `--host ${options.host} is not a loopback address: give --token T (clients then send "Authorization: Bearer T"), or bind 127.0.0.1`,
    );
  }
  const folders = {
    runsDir: resolve(options.runsDir),
    outputsDir: resolve(options.outputsDir),
    dataDir: resolve(options.dataDir),
    configsDir: resolve(options.configsDir),
  };
  await mkdir(folders.runsDir, { recursive: true });
  await mkdir(folders.outputsDir, { recursive: true });
  // a job's output files live as long as the job stays in the history
  const forget = (record: { id: string }): void =>
    void rm(join(folders.outputsDir, 'jobs', record.id), { recursive: true, force: true });
  const queue: JobQueue =
    options.queue ??
    new MemoryJobQueue({
      capacity: options.queueSize,
      history: options.history ?? 1000,
      retryAfterSeconds: 5,
      onForget: forget,
    });
  const sweeper = sweepUploads(join(folders.outputsDir, 'uploads'), UPLOAD_LIFETIME_MS);
  const pool = new WorkerPool(queue.remote ? 0 : options.workers, options.jobTimeoutSeconds * 1000);
  const executor = new Executor({
    queue,
    pool,
    outputsDir: folders.outputsDir,
    runsDir: folders.runsDir,
    trainSlots: options.trainSlots,
    timeoutMs: options.jobTimeoutSeconds * 1000,
  });
  const context: ServeContext = {
    folders,
    queue,
    executor,
    draining: false,
    startedAt: Date.now(),
    workerPids: () => pool.pids,
  };

  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 1024 * 1024, return503OnClosing: false });
  app.setErrorHandler((error: FastifyError | HttpError, _request, reply) => {
    if (error instanceof HttpError)
      return reply
        .code(error.statusCode)
        .headers(error.headers)
        .send({ error: error.code, message: error.message, statusCode: error.statusCode });
    const status = error.statusCode ?? 500;
    if (error.validation)
      return reply
        .code(400)
        .send({ error: 'bad_request', message: `invalid request: ${error.message}`, statusCode: 400 });
    if (status === 413)
      return reply
        .code(413)
        .send({ error: 'body_too_large', message: `the request body is too large: ${error.message}`, statusCode: 413 });
    if (status === 401)
      return reply.code(401).send({
        error: 'unauthorized',
        message: `${error.message}: send "Authorization: Bearer <token>" with the token the server was started with (--token)`,
        statusCode: 401,
      });
    if (status === 429) return reply.code(429).send({ error: 'rate_limited', message: error.message, statusCode: 429 });
    if (status >= 500) app.log.error(error);
    return reply.code(status).send({
      error: status >= 500 ? 'internal' : (error.code ?? 'error').toLowerCase(),
      message: error.message,
      statusCode: status,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
      statusCode: 404,
    }),
  );

  if (options.cors) await app.register(cors, { origin: options.cors });
  await app.register(multipart, { limits: { fileSize: UPLOAD_LIMITS.bytes, files: 1, fields: 8 } });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'mmgen',
        description: 'Generate, caption, transcribe, translate and train multimodal models',
        version: '0.1.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  if (options.token) {
    await app.register(rateLimit, { max: options.rateLimit, timeWindow: '1 minute' });
    await app.register(bearerAuth, { keys: [options.token], addHook: false });
    const token = options.token;
    app.addHook('onRequest', (request, reply, done) => {
      const path = request.url.split('?')[0] ?? '';
      if (!path.startsWith('/v1/') && path !== '/metrics') return done();
      // <img> and <audio> cannot send a header: files may carry the token as ?access_token= (RFC 6750 §2.3)
      const query = (request.query ?? {}) as Record<string, unknown>;
      if (
        request.method === 'GET' &&
        path.startsWith('/v1/files/') &&
        request.headers.authorization === undefined &&
        typeof query.access_token === 'string'
      ) {
        if (sameSecret(query.access_token, token)) return done();
        return done(
          new HttpError(
            401,
            'unauthorized',
            'access_token does not match the token the server was started with (--token)',
          ),
        );
      }
      app.verifyBearerAuth!(request, reply, done);
    });
  }
  await app.register(fastifyStatic, { root: WEB_DIR, prefix: '/', index: 'index.html' });
  await app.register(fastifyStatic, { root: UPLOT_DIR, prefix: '/vendor/uplot/', decorateReply: false });

  systemRoutes(app, context);
  runRoutes(app, context);
  jobRoutes(app, context);
  shortcutRoutes(app, context);
  fileRoutes(app, context);

  const url = await app.listen({ host: options.host, port: options.port });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      context.draining = true;
      // jobs on a remote queue belong to its workers and outlive this server
      if (!queue.remote) {
        for (const { id } of queue.list(0, Number.MAX_SAFE_INTEGER).jobs) {
          if (queue.get(id)?.state === 'queued') queue.cancelQueued(id);
        }
        for (const { id } of queue.list(0, Number.MAX_SAFE_INTEGER).jobs) {
          if (queue.get(id)?.state === 'running' && queue.get(id)?.spec.task === 'train') executor.cancel(id);
        }
      }
      await executor.idle();
      await queue.close?.();
      clearInterval(sweeper);
      await pool.close();
      await app.close();
    })();
    return closing;
  };
  return { app, context, url, close };
}
