// `mmgen serve --queue redis://…` with real `mmgen worker` processes on a private redis-server: two workers
// share 40 generation jobs (none lost, none run twice), cancel reaches the worker running the job, a job that
// fails on every attempt ends failed with its error, a worker killed with SIGKILL mid-training loses nothing
// (another worker resumes the job from its checkpoint), and Redis going away → 503 naming Redis and its
// address, then recovery when it is back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BullJobQueue } from '../../src/serve/bull-queue.js';
import { parseRedisAddress } from '../../src/serve/bull-protocol.js';
import type { Server } from '../../src/serve/server.js';
import { memory } from '../../src/tensor/index.js';
import { readEvents, type ServeFixture, startTestServer, tinyGanConfig, trainServeRuns } from './helpers.js';
import { type TestRedis, type TestWorker, startRedis, startWorker, waitUntil } from './redis-helpers.js';

let fixture: ServeFixture;
let redis: TestRedis;
let server: Server;
const workers: TestWorker[] = [];
let tensorsBefore = 0;

const url = (path: string): string => `${server.url}${path}`;
async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url(path), init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
const post = (body: unknown) =>
  json('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const job = async (id: string) => (await json(`/v1/jobs/${id}`)).body;
const finished = (id: string, timeoutMs: number) =>
  waitUntil(
    `job ${id} to finish`,
    async () => {
      const record = await job(id);
      return ['done', 'failed', 'cancelled'].includes(String(record.state)) ? record : undefined;
    },
    timeoutMs,
  );
const linesOf = (worker: TestWorker, word: string, id: string): number =>
  worker.lines.filter(
    (line) => line.endsWith(`${word} ${id}`) || line.includes(`${word} ${id} `) || line.includes(`${word} ${id}:`),
  ).length;

function workerArgs(): string[] {
  return [
    '--queue',
    redis.url,
    '--runs',
    fixture.runsDir,
    '--outputs',
    join(fixture.root, 'outputs'),
    '--data',
    fixture.dataDir,
    '--lock-duration',
    '2000',
    '--stalled-interval',
    '1000',
    '--job-timeout',
    '60',
  ];
}

before(async () => {
  tensorsBefore = memory().tensors;
  fixture = await trainServeRuns();
  redis = await startRedis();
  const queue = await BullJobQueue.connect({
    address: parseRedisAddress(redis.url),
    folders: {
      runsDir: fixture.runsDir,
      outputsDir: join(fixture.root, 'outputs'),
      dataDir: fixture.dataDir,
      configsDir: fixture.configsDir,
    },
    capacity: 64,
    history: 1000,
    retryAfterSeconds: 1,
    attempts: 2,
    backoffMs: 200,
  });
  server = await startTestServer(fixture, { queue, queueSize: 64 });
  workers.push(...(await Promise.all([startWorker(workerArgs()), startWorker(workerArgs())])));
});

after(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await server?.close();
  await redis?.cleanup();
  await fixture?.cleanup();
  assert.equal(memory().tensors, tensorsBefore, 'training the test runs leaked tensors');
});

test('the server runs no model worker of its own with a Redis queue', async () => {
  assert.deepEqual(server.context.workerPids(), []);
  const health = await json('/health');
  assert.equal(health.status, 200);
});

test('two workers share 40 generation jobs: every one done once, its image served, none lost or run twice', async () => {
  // the first job on a worker loads libtorch and the run (seconds), after which one takes milliseconds: two jobs
  // at once go to both workers (a worker takes one job at a time) and warm them both
  const warm = await Promise.all(
    [0, 1].map(() => post({ run: 'gan', task: 'generate', inputs: { text: 'heart' }, params: { n: 1 } })),
  );
  const warmed = await Promise.all(warm.map((answer) => finished(String(answer.body.id), 60_000)));
  assert.deepEqual(
    warmed.map((record) => record.state),
    ['done', 'done'],
  );
  assert.notEqual(warmed[0]!.worker, warmed[1]!.worker, 'two jobs at once run on both workers');
  const ids: string[] = [];
  for (let index = 0; index < 40; index++) {
    const answer = await post({
      run: 'gan',
      task: 'generate',
      inputs: { text: 'square' },
      params: { n: 4, seed: index },
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    ids.push(String(answer.body.id));
  }
  const records = await Promise.all(ids.map((id) => finished(id, 90_000)));
  for (const record of records) assert.equal(record.state, 'done', JSON.stringify(record));
  const byWorker = workers.map((worker) => ids.filter((id) => linesOf(worker, 'done', id) > 0).length);
  const starts = ids.map((id) => workers.reduce((sum, worker) => sum + linesOf(worker, 'start', id), 0));
  const dones = ids.map((id) => workers.reduce((sum, worker) => sum + linesOf(worker, 'done', id), 0));
  assert.deepEqual(
    starts,
    ids.map(() => 1),
    'every job started exactly once',
  );
  assert.deepEqual(
    dones,
    ids.map(() => 1),
    'every job finished exactly once',
  );
  assert.equal(byWorker[0]! + byWorker[1]!, 40);
  assert.ok(byWorker[0]! >= 4 && byWorker[1]! >= 4, `both workers take jobs: ${byWorker.join(' + ')}`);
  process.stdout.write(`# 40 jobs: ${byWorker.join(' + ')} per worker\n`);
  for (const [index, record] of records.entries()) {
    const runner = workers.find((worker) => linesOf(worker, 'done', ids[index]!) > 0)!;
    assert.equal(record.worker, runner.name, 'the record names the worker that ran the job');
  }
  // the first, the last and one in the middle: served by the server from the shared output folder
  for (const index of [0, 20, 39]) {
    const files = (records[index]!.result as { files: { kind: string; url: string }[] }).files;
    assert.equal(files.length, 4);
    const image = await fetch(url(files[0]!.url));
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/png');
  }
  // same seed → same bytes, whichever worker ran it
  const again = await post({ run: 'gan', task: 'generate', inputs: { text: 'square' }, params: { n: 4, seed: 7 } });
  const [first, second] = [records[7]!, await finished(String(again.body.id), 30_000)].map(
    (record) => (record.result as { files: { url: string }[] }).files[0]!.url,
  );
  const bytes = await Promise.all(
    [first!, second!].map(async (path) => Buffer.from(await (await fetch(url(path))).arrayBuffer())),
  );
  assert.ok(bytes[0]!.equals(bytes[1]!));
  const sse = await readEvents(url(`/v1/jobs/${ids[0]}/events`));
  assert.deepEqual(
    sse.map((event) => event.type),
    ['queued', 'started', 'done'],
  );
});

test('cancel reaches the worker running the job: training there stops with a checkpoint, the other worker never hears of it', async () => {
  const config = tinyGanConfig(join(fixture.dataDir, 'shapes'), 100000);
  const answer = await post({
    task: 'train',
    inputs: { config, dataset: 'shapes' },
    params: { name: 'cancelled-run' },
  });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  const id = String(answer.body.id);
  const running = await waitUntil(
    'training to run a few steps',
    async () => {
      const record = await job(id);
      return record.state === 'running' && ((record.progress as { step?: number } | undefined)?.step ?? 0) >= 5
        ? record
        : undefined;
    },
    30_000,
  );
  const runner = workers.find((worker) => worker.name === running.worker)!;
  const other = workers.find((worker) => worker !== runner)!;
  const deleted = await json(`/v1/jobs/${id}`, { method: 'DELETE' });
  assert.equal(deleted.status, 202);
  const record = await finished(id, 30_000);
  assert.equal(record.state, 'cancelled');
  const events = await readEvents(url(`/v1/jobs/${id}/events`));
  assert.deepEqual(events.at(-1)?.data.checkpointed, true);
  assert.equal(linesOf(runner, 'cancel', id), 1);
  assert.equal(linesOf(runner, 'cancelled', id), 1);
  assert.equal(linesOf(other, 'cancel', id) + linesOf(other, 'start', id), 0);
  const state = JSON.parse(await readFile(join(fixture.runsDir, 'cancelled-run', 'state.json'), 'utf8')) as {
    step: number;
  };
  assert.ok(state.step >= 5 && state.step < 100000, `checkpoint at step ${state.step}`);
  // both workers still take jobs
  const next = await post({ run: 'gan', task: 'generate', inputs: { text: 'heart' }, params: { n: 1 } });
  assert.equal((await finished(String(next.body.id), 30_000)).state, 'done');
});

test('a job that fails on every attempt ends failed with its error and the number of attempts', async () => {
  // a dataset the server accepts by name (it has a dataset.json) but no worker can read
  await mkdir(join(fixture.dataDir, 'broken'), { recursive: true });
  await writeFile(join(fixture.dataDir, 'broken', 'dataset.json'), '{"name": "broken"}');
  const answer = await post({
    task: 'train',
    inputs: { config: tinyGanConfig('x', 10), dataset: 'broken' },
    params: { name: 'broken-run' },
  });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  const id = String(answer.body.id);
  const record = await finished(id, 30_000);
  assert.equal(record.state, 'failed');
  assert.equal(record.attempts, 2);
  assert.ok(String(record.error).length > 0);
  const failures = workers.reduce((sum, worker) => sum + linesOf(worker, 'failed', id), 0);
  assert.equal(failures, 2, 'tried twice (--attempts 2)');
  const events = await readEvents(url(`/v1/jobs/${id}/events`));
  assert.equal(events.at(-1)?.type, 'error');
  assert.equal(events.at(-1)?.data.message, record.error);
});

/** A training job with a checkpoint every 40 steps, interrupted on its worker past step 50; it must end done elsewhere. */
async function interruptedTraining(
  name: string,
  interrupt: (victim: TestWorker) => Promise<void>,
): Promise<{ id: string; victim: TestWorker; survivor: TestWorker; events: Awaited<ReturnType<typeof readEvents>> }> {
  const config = {
    ...tinyGanConfig(join(fixture.dataDir, 'shapes'), 300),
    training: { steps: 300, batchSize: 8, logEvery: 1, sampleEvery: 100000, checkpointEvery: 40 },
  };
  const answer = await post({ task: 'train', inputs: { config, dataset: 'shapes' }, params: { name } });
  const id = String(answer.body.id);
  const running = await waitUntil(
    'training past its first checkpoint',
    async () => {
      const record = await job(id);
      return record.state === 'running' && ((record.progress as { step?: number } | undefined)?.step ?? 0) >= 50
        ? record
        : undefined;
    },
    60_000,
    20,
  );
  const victim = workers.find((worker) => worker.name === running.worker)!;
  const survivor = workers.find((worker) => worker !== victim)!;
  await interrupt(victim);
  const record = await finished(id, 90_000);
  assert.equal(record.state, 'done', JSON.stringify(record));
  assert.equal(record.worker, survivor.name);
  assert.match(survivor.lines.find((line) => line.includes(`start ${id}`)) ?? '', /resuming from its checkpoint/);
  const events = await readEvents(url(`/v1/jobs/${id}/events`));
  const starts = events.flatMap((event, index) => (event.type === 'started' ? [index] : []));
  assert.equal(starts.length, 2, 'started once on each worker');
  const firstAfter = events.slice(starts[1]).find((event) => event.type === 'progress');
  assert.ok(
    Number(firstAfter?.data.step) > 40,
    `the second worker went on from a checkpoint: its first step is ${String(firstAfter?.data.step)}`,
  );
  const state = JSON.parse(await readFile(join(fixture.runsDir, name, 'state.json'), 'utf8')) as { step: number };
  assert.equal(state.step, 300);
  process.stdout.write(
    `# ${name}: stopped on its first worker past step 50, the second went on from step ${String(firstAfter?.data.step)}\n`,
  );
  return { id, victim, survivor, events };
}

test('a worker stopped with SIGTERM mid-training hands the job back: it checkpoints, exits, another worker goes on', async () => {
  const { id, victim, events } = await interruptedTraining('handed-back-run', (worker) => worker.stop());
  assert.equal(victim.process.exitCode, 0);
  assert.equal(linesOf(victim, 'handed back', id), 1);
  assert.ok(events.some((event) => event.type === 'notice' && String(event.data.message).includes('shutting down')));
  // a fresh worker in its place, for the tests below
  workers[workers.indexOf(victim)] = await startWorker(workerArgs());
});

test('a worker killed with SIGKILL mid-training, its children too (as if its host died), loses nothing: another resumes from the last periodic checkpoint', async () => {
  const { events } = await interruptedTraining('killed-run', async (worker) => {
    // the worker and its model and training processes at once, so none writes a checkpoint on its way out
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(worker.process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0);
    assert.ok(children.length >= 2, 'a model process and a training process');
    for (const pid of [worker.process.pid!, ...children]) process.kill(pid, 'SIGKILL');
  });
  assert.ok(
    events.some((event) => event.type === 'notice' && String(event.data.message).includes('stopped answering')),
  );
  const starts = events.flatMap((event, index) => (event.type === 'started' ? [index] : []));
  const resumedAt = Number(events.slice(starts[1]).find((event) => event.type === 'progress')?.data.step);
  assert.equal((resumedAt - 1) % 40, 0, `went on from a checkpoint written every 40 steps, at step ${resumedAt - 1}`);
});

test('Redis going away → 503 naming Redis and its address; back again → jobs flow, and a job Redis forgot ends failed', async () => {
  // a training job running when Redis goes away; this Redis keeps nothing, so it comes back without the job
  const config = tinyGanConfig(join(fixture.dataDir, 'shapes'), 100000);
  const training = await post({ task: 'train', inputs: { config, dataset: 'shapes' }, params: { name: 'lost-run' } });
  const lostId = String(training.body.id);
  const running = await waitUntil(
    'training to run',
    async () => {
      const record = await job(lostId);
      return record.state === 'running' && record.worker !== undefined ? record : undefined;
    },
    30_000,
  );
  const runner = workers.find((worker) => worker.name === running.worker)!;
  const stoppedAt = Date.now();
  await redis.stop();
  const refused = await waitUntil(
    'a 503',
    async () => {
      const answer = await post({ run: 'gan', task: 'generate', inputs: { text: 'square' }, params: { n: 1 } });
      return answer.status === 503 ? answer : undefined;
    },
    10_000,
  );
  assert.equal(refused.body.error, 'queue_unavailable');
  assert.match(String(refused.body.message), new RegExp(`Redis at ${redis.url.replace(/[.]/g, '\\.')} is unreachable`));
  assert.equal((await json('/health')).status, 200, 'the server itself stays up');
  assert.equal((await job(lostId)).state, 'running', 'the server still answers for its jobs from memory');
  await redis.start();
  const accepted = await waitUntil(
    'a 202 once Redis is back',
    async () => {
      const answer = await post({ run: 'gan', task: 'generate', inputs: { text: 'square' }, params: { n: 1 } });
      return answer.status === 202 ? answer : undefined;
    },
    20_000,
    250,
  );
  const backAfter = Date.now() - stoppedAt;
  const lost = await finished(lostId, 20_000);
  assert.equal(lost.state, 'failed');
  assert.match(String(lost.error), /lost: Redis at .* came back without it/);
  // the worker lost its lock on the job, stopped it (freeing its slot), and takes the new one
  const record = await finished(String(accepted.body.id), 30_000);
  assert.equal(record.state, 'done');
  assert.equal(linesOf(runner, 'lost', lostId), 1);
  process.stdout.write(
    `# 503 while Redis was away: ${String(refused.body.message)}; accepting again ${backAfter} ms after it stopped\n`,
  );
});
