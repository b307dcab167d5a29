// GET /health and /metrics (Prometheus text: queue depth, jobs by state, RSS, workers).
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';

export function systemRoutes(app: FastifyInstance, context: ServeContext): void {
  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Liveness: answers while models train',
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string' },
              draining: { type: 'boolean' },
              queueDepth: { type: 'integer' },
              uptimeSeconds: { type: 'number' },
            },
          },
        },
      },
    },
    async () => ({
      status: context.draining ? 'draining' : 'ok',
      draining: context.draining,
      queueDepth: context.queue.depth,
      uptimeSeconds: (Date.now() - context.startedAt) / 1000,
    }),
  );

  app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    const counts = context.queue.counts();
    const memory = process.memoryUsage();
    const lines = [
      '# HELP mmgen_queue_depth Jobs waiting to start.',
      '# TYPE mmgen_queue_depth gauge',
      `mmgen_queue_depth ${context.queue.depth}`,
      '# HELP mmgen_jobs Jobs known to the server by state.',
      '# TYPE mmgen_jobs gauge',
      ...Object.entries(counts).map(([state, count]) => `mmgen_jobs{state="${state}"} ${count}`),
      '# HELP mmgen_workers Model worker processes.',
      '# TYPE mmgen_workers gauge',
      `mmgen_workers ${context.workerPids().length}`,
      '# HELP process_resident_memory_bytes Resident memory of the server process.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${memory.rss}`,
      '# HELP nodejs_heap_used_bytes V8 heap in use by the server process.',
      '# TYPE nodejs_heap_used_bytes gauge',
      `nodejs_heap_used_bytes ${memory.heapUsed}`,
    ];
    return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
  });
}
