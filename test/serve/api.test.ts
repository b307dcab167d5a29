// The HTTP API against a real server on 127.0.0.1 with real tiny runs trained here: every route, SSE order
// and resume, cancel of one job, queue full → 429, bad uploads, unknown runs, `..` paths and tokens → clear
// 4xx JSON naming the problem, the server alive after each; SIGTERM-style close checkpoints training.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { encodeWav } from '../../src/modalities/audio/index.js';
import { memory } from '../../src/tensor/index.js';
import type { Server } from '../../src/serve/server.js';
import { readEvents, type ServeFixture, startTestServer, tinyGanConfig, trainServeRuns } from './helpers.js';

let fixture: ServeFixture;
let server: Server;
const url = (path: string): string => `${server.url}${path}`;
const json = async (
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> => {
  const response = await fetch(url(path), init);
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
};
const post = (path: string, body: unknown) =>
  json(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const upload = (path: string, bytes: Uint8Array, name: string, fields: Record<string, string> = {}) => {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  return json(path, { method: 'POST', body: form });
};
/** A GET whose path is sent as written (fetch would resolve `..` before sending). */
function rawGet(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request(url(path).replace(path, ''), { path }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    })
      .on('error', reject)
      .end();
  });
}
async function alive(): Promise<void> {
  const health = await json('/health');
  assert.equal(health.status, 200);
  assert.equal(health.body.status, 'ok');
}
async function settled(id: string): Promise<Record<string, unknown>> {
  await readEvents(url(`/v1/jobs/${id}/events`));
  return (await json(`/v1/jobs/${id}`)).body;
}

let tensorsBefore = 0;

before(async () => {
  tensorsBefore = memory().tensors;
  fixture = await trainServeRuns({ audio: true });
  server = await startTestServer(fixture, { queueSize: 2 });
});

after(async () => {
  await server.close();
  await fixture.cleanup();
  assert.equal(memory().tensors, tensorsBefore, 'training the test runs leaked tensors');
});

test('runs: listed with recipe, modalities and capabilities; one run with its sample grid; unknown and `..` ids are clear 4xx', async () => {
  const { body } = await json('/v1/runs');
  const runs = body.runs as {
    id: string;
    recipe: string;
    capabilities: string[];
    modalities: { inputs: string[]; outputs: string[] };
  }[];
  assert.deepEqual(
    runs.map((run) => `${run.id}:${run.recipe}:${run.capabilities.join('+')}`),
    [
      'captioner:captioner:caption',
      'gan:text2image-gan:generate',
      'tones-gan:text2audio-gan:generate',
      'transcriber:transcriber:transcribe',
    ],
  );
  const gan = await json('/v1/runs/gan');
  assert.equal(gan.status, 200);
  assert.deepEqual(gan.body.modalities, { inputs: ['text'], outputs: ['image'] });
  assert.equal(gan.body.step, 4);
  const grid = await fetch(url(gan.body.latestSample as string));
  assert.equal(grid.headers.get('content-type'), 'image/png');
  const unknown = await json('/v1/runs/nope');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error, 'unknown_run');
  assert.match(String(unknown.body.message), /no run "nope"/);
  const dots = await json('/v1/runs/..%2F..%2Fetc');
  assert.equal(dots.status, 400);
  assert.equal(dots.body.error, 'bad_name');
  await alive();
});

test('a generate job: 202 with an id at once, SSE queued → started → done with increasing ids, resume after Last-Event-ID, PNGs served, same seed same bytes', async () => {
  const submitted = await post('/v1/jobs', {
    run: 'gan',
    task: 'generate',
    inputs: { text: 'heart' },
    params: { n: 3, seed: 7 },
  });
  assert.equal(submitted.status, 202);
  const id = submitted.body.id as string;
  const events = await readEvents(url(`/v1/jobs/${id}/events`));
  assert.deepEqual(
    events.map((event) => event.type),
    ['queued', 'started', 'done'],
  );
  assert.deepEqual(
    events.map((event) => event.id),
    [1, 2, 3],
  );
  const resumed = await readEvents(url(`/v1/jobs/${id}/events`), { 'last-event-id': '1' });
  assert.deepEqual(
    resumed.map((event) => event.id),
    [2, 3],
  );
  const job = (await json(`/v1/jobs/${id}`)).body;
  assert.equal(job.state, 'done');
  const files = (job.result as { files: { kind: string; url: string }[] }).files;
  assert.equal(files.length, 3);
  const first = Buffer.from(await (await fetch(url(files[0]!.url))).arrayBuffer());
  assert.equal(first.subarray(1, 4).toString(), 'PNG');
  const again = await post('/v1/generate', { run: 'gan', text: 'heart', n: 3, seed: 7 });
  assert.equal(again.status, 200);
  const repeat = Buffer.from(await (await fetch(url((again.body.files as { url: string }[])[0]!.url))).arrayBuffer());
  assert.ok(first.equals(repeat), 'the same seed gives the same bytes');
  const history = await json('/v1/jobs?limit=1&offset=0');
  assert.equal((history.body.jobs as { id: string }[])[0]!.id, again.body.job);
  assert.ok((history.body.total as number) >= 2);
});

test('text→audio generate gives WAVs with spectrograms; caption and transcribe shortcuts answer with text', async () => {
  const sound = await post('/v1/generate', { run: 'tones-gan', text: 'low', n: 2, seed: 1 });
  assert.equal(sound.status, 200, JSON.stringify(sound.body));
  const kinds = (sound.body.files as { kind: string; url: string }[]).map((file) => file.kind).sort();
  assert.deepEqual(kinds, ['audio', 'audio', 'spectrogram', 'spectrogram']);
  const wavUrl = (sound.body.files as { kind: string; url: string }[]).find((file) => file.kind === 'audio')!.url;
  const wav = Buffer.from(await (await fetch(url(wavUrl))).arrayBuffer());
  assert.equal(wav.subarray(0, 4).toString(), 'RIFF');

  const png = await readFile(join(fixture.dataDir, 'shapes', 'images', '00000.png'));
  const uploads = join(fixture.root, 'outputs', 'uploads');
  const kept = await readdir(uploads).catch(() => []);
  const caption = await upload('/v1/caption', png, 'shape.png', { run: 'captioner', beam: '2' });
  assert.equal(caption.status, 200, JSON.stringify(caption.body));
  const texts = caption.body.texts as string[];
  assert.equal(texts.length, 1);
  assert.equal(typeof texts[0], 'string');

  // jobs waiting for the same captioner are answered together; each gets what it would get alone
  const paths: string[] = [];
  for (const name of ['00000.png', '00001.png', '00002.png']) {
    const form = new FormData();
    form.append(
      'file',
      new Blob([new Uint8Array(await readFile(join(fixture.dataDir, 'shapes', 'images', name)))]),
      name,
    );
    paths.push(
      ((await (await fetch(url('/v1/uploads'), { method: 'POST', body: form })).json()) as { path: string }).path,
    );
  }
  const alone: string[] = [];
  for (const path of paths) {
    const id = (await post('/v1/jobs', { run: 'captioner', task: 'caption', inputs: { images: [path] } })).body
      .id as string;
    alone.push(...((await settled(id)).result as { texts: string[] }).texts);
  }
  // the first starts at once, the other two wait in the queue (of 2) and go to the worker as one
  const burst = await Promise.all(
    paths.map((path) => post('/v1/jobs', { run: 'captioner', task: 'caption', inputs: { images: [path] } })),
  );
  assert.deepEqual(
    burst.map((answer) => answer.status),
    [202, 202, 202],
  );
  const together: string[] = [];
  for (const answer of burst)
    together.push(...((await settled(answer.body.id as string)).result as { texts: string[] }).texts);
  assert.deepEqual(together, alone);

  const clip = await readFile(join(fixture.dataDir, 'tones', 'audio', '0000.wav'));
  const transcript = await upload('/v1/transcribe?run=transcriber', clip, 'tone.wav');
  assert.equal(transcript.status, 200, JSON.stringify(transcript.body));
  assert.equal((transcript.body.texts as string[]).length, 1);
  const explicit = paths.map((path) => path.slice('uploads/'.length));
  assert.deepEqual(
    (await readdir(uploads)).sort(),
    [...kept, ...explicit].sort(),
    'the shortcuts delete the uploads they made for themselves; /v1/uploads keeps its own',
  );
});

test('history is bounded: a job dropped from it takes its output files along; a job past its time limit is stopped', async () => {
  const small = await startTestServer(fixture, { history: 2 });
  try {
    const ids: string[] = [];
    for (let index = 0; index < 4; index++) {
      const answer = await fetch(`${small.url}/v1/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ run: 'gan', text: 'heart', n: 1 }),
      });
      ids.push(((await answer.json()) as { job: string }).job);
    }
    const listed = (await (await fetch(`${small.url}/v1/jobs`)).json()) as { jobs: { id: string }[]; total: number };
    assert.ok(listed.total <= 3, `history of ${listed.total}`);
    assert.equal((await fetch(`${small.url}/v1/jobs/${ids[0]}`)).status, 404);
    await assert.rejects(stat(join(fixture.root, 'outputs', 'jobs', ids[0]!)), /ENOENT/);
    assert.ok((await stat(join(fixture.root, 'outputs', 'jobs', ids[3]!))).isDirectory());
  } finally {
    await small.close();
  }
  const hurried = await startTestServer(fixture, { jobTimeoutSeconds: 0.05 });
  try {
    const evaluation = await fetch(`${hurried.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ run: 'gan', task: 'eval' }),
    });
    assert.equal(evaluation.status, 202);
    const id = ((await evaluation.json()) as { id: string }).id;
    const events = await readEvents(`${hurried.url}/v1/jobs/${id}/events`);
    assert.equal(events.at(-1)?.type, 'error');
    // starting the eval process (node, the TypeScript loader, the CLI) takes longer than 50 ms
    assert.match(String(events.at(-1)?.data.message), /ran past its time limit of 0\.05 s and was stopped/);
    assert.equal((await fetch(`${hurried.url}/health`)).status, 200);
  } finally {
    await hurried.close();
  }
});

test('cancelling a running inference job ends its worker alone; the job waiting behind it runs on a fresh worker', async () => {
  const cold = await startTestServer(fixture, { workers: 1 });
  try {
    const submit = async (text: string): Promise<string> => {
      const answer = await fetch(`${cold.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ run: 'gan', task: 'generate', inputs: { text }, params: { n: 2 } }),
      });
      return ((await answer.json()) as { id: string }).id;
    };
    // the worker is still loading libtorch and the run when the cancel arrives
    const running = await submit('heart');
    const waiting = await submit('square');
    assert.equal(cold.context.queue.get(running)?.state, 'running');
    assert.equal(cold.context.queue.get(waiting)?.state, 'queued');
    const workerBefore = cold.context.workerPids()[0];
    assert.equal((await fetch(`${cold.url}/v1/jobs/${running}`, { method: 'DELETE' })).status, 202);
    const runningEvents = await readEvents(`${cold.url}/v1/jobs/${running}/events`);
    assert.equal(runningEvents.at(-1)?.type, 'cancelled');
    const waitingEvents = await readEvents(`${cold.url}/v1/jobs/${waiting}/events`);
    assert.equal(waitingEvents.at(-1)?.type, 'done', JSON.stringify(waitingEvents.at(-1)));
    assert.notEqual(cold.context.workerPids()[0], workerBefore, "a fresh worker took the cancelled one's place");
  } finally {
    await cold.close();
  }
});

test('an eval job on a run whose dataset has no judge fails naming the fix', async () => {
  const submitted = await post('/v1/jobs', { run: 'gan', task: 'eval' });
  assert.equal(submitted.status, 202);
  const events = await readEvents(url(`/v1/jobs/${submitted.body.id as string}/events`));
  assert.equal(events.at(-1)?.type, 'error');
  assert.match(String(events.at(-1)?.data.message), /no judge at .*train one with `mmgen eval train-judge/);
});

test('bad uploads and inputs are clear 4xx JSON naming the problem, and the server stays up', async () => {
  const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, number, string, RegExp][] = [
    [
      'corrupt image',
      upload('/v1/caption', new Uint8Array(500).fill(7), 'junk.png', { run: 'captioner' }),
      400,
      'corrupt_image',
      /junk\.png" is not a readable image/,
    ],
    [
      'empty image',
      upload('/v1/caption', new Uint8Array(0), 'empty.png', { run: 'captioner' }),
      400,
      'empty_file',
      /empty/,
    ],
    [
      'oversized image',
      upload('/v1/caption', new Uint8Array(11 * 1024 * 1024), 'big.png', { run: 'captioner' }),
      413,
      'file_too_large',
      /10 MB/,
    ],
    [
      'corrupt WAV',
      upload('/v1/transcribe', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(40, 1)]), 'bad.wav', {
        run: 'transcriber',
      }),
      400,
      'corrupt_wav',
      /bad\.wav" is not a readable WAV/,
    ],
    [
      'long WAV',
      upload('/v1/transcribe', encodeWav(new Float32Array(16000 * 31), 16000), 'long.wav', { run: 'transcriber' }),
      413,
      'wav_too_long',
      /31\.0 s; a WAV may last at most 30 s/,
    ],
    ['no run', upload('/v1/caption', new Uint8Array(10), 'x.png'), 400, 'corrupt_image', /not a readable image/],
    ['unknown run', post('/v1/generate', { run: 'missing', text: 'heart' }), 404, 'unknown_run', /no run "missing"/],
    [
      'wrong task',
      post('/v1/jobs', { run: 'gan', task: 'caption', inputs: { images: ['x.png'] } }),
      400,
      'unsupported_task',
      /cannot caption; it can generate/,
    ],
    ['long prompt', post('/v1/generate', { run: 'gan', text: 'a'.repeat(501) }), 413, 'prompt_too_long', /at most 500/],
    [
      'n too big',
      post('/v1/generate', { run: 'gan', text: 'heart', n: 1000 }),
      400,
      'bad_param',
      /params\.n must be a whole number from 1 to 64/,
    ],
    [
      'absolute input path',
      post('/v1/jobs', { run: 'captioner', task: 'caption', inputs: { images: ['/etc/passwd'] } }),
      400,
      'bad_path',
      /no absolute paths/,
    ],
    [
      '.. input path',
      post('/v1/jobs', {
        run: 'captioner',
        task: 'caption',
        inputs: { images: ['uploads/../../runs/gan/config.json'] },
      }),
      400,
      'bad_path',
      /may not contain ".."/,
    ],
    ['.. file path', rawGet('/v1/files/runs/gan/../../../etc/passwd'), 400, 'bad_path', /may not contain ".."/],
    [
      'encoded .. file path',
      rawGet('/v1/files/outputs/%2e%2e%2f%2e%2e%2fetc%2fpasswd'),
      400,
      'bad_path',
      /may not contain ".."/,
    ],
    ['missing file', json('/v1/files/runs/gan/nothing.png'), 404, 'not_found', /does not exist/],
    ['unknown job', json('/v1/jobs/00000000-0000-0000-0000-000000000000'), 404, 'unknown_job', /no job/],
    ['bad task', post('/v1/jobs', { run: 'gan', task: 'dance' }), 400, 'bad_request', /task/],
    [
      'vocabulary',
      post('/v1/generate', { run: 'gan', text: 'purple dragon' }),
      422,
      'job_failed',
      /outside the vocabulary/,
    ],
  ];
  for (const [label, pending, status, code, message] of cases) {
    const { status: got, body } = await pending;
    assert.equal(got, status, `${label}: ${JSON.stringify(body)}`);
    assert.equal(body.error, code, label);
    assert.match(String(body.message), message, label);
  }
  await alive();
});

test('training job: progress over SSE, cancel of it leaves other jobs alone and writes a checkpoint; the queue full answers 429 with Retry-After', async () => {
  const config = tinyGanConfig(join(fixture.dataDir, 'shapes'), 100000, 10);
  const training = await post('/v1/jobs', {
    task: 'train',
    inputs: { config, dataset: 'shapes' },
    params: { name: 'long' },
  });
  assert.equal(training.status, 202, JSON.stringify(training.body));
  const trainId = training.body.id as string;
  // two more trainings wait for the one training slot; a third does not fit the queue of 2
  const waiting = [
    await post('/v1/jobs', { task: 'train', inputs: { config }, params: { name: 'wait1' } }),
    await post('/v1/jobs', { task: 'train', inputs: { config }, params: { name: 'wait2' } }),
  ];
  assert.deepEqual(
    waiting.map((answer) => answer.status),
    [202, 202],
  );
  const full = await post('/v1/jobs', { run: 'gan', task: 'generate', inputs: { text: 'heart' } });
  assert.equal(full.status, 429);
  assert.equal(full.body.error, 'queue_full');
  assert.equal(full.headers.get('retry-after'), '5');
  // cancel one waiting job: the other and the running one carry on
  const cancelled = await json(`/v1/jobs/${waiting[0]!.body.id as string}`, { method: 'DELETE' });
  assert.equal(cancelled.status, 202);
  assert.equal(cancelled.body.state, 'cancelled');
  assert.equal((await json(`/v1/jobs/${waiting[1]!.body.id as string}`)).body.state, 'queued');
  // a generate job runs beside the training (it has its own worker) while health answers
  const generated = await post('/v1/generate', { run: 'gan', text: 'square', n: 1 });
  assert.equal(generated.status, 200);
  await alive();
  // the training reports steps; wait until it has sampled once
  const response = await fetch(url(`/v1/jobs/${trainId}/events`));
  const reader = response.body!.getReader();
  let seen = '';
  while (!seen.includes('event: sample')) seen += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  const progress = [...seen.matchAll(/event: progress\ndata: (.*)/g)].map(
    (match) => (JSON.parse(match[1]!) as { step: number }).step,
  );
  assert.ok(progress.length >= 10, `progress events: ${progress.length}`);
  assert.deepEqual(
    progress,
    [...progress].sort((a, b) => a - b),
    'steps arrive in order',
  );
  assert.equal((await json(`/v1/jobs/${trainId}`, { method: 'DELETE' })).status, 202);
  const ended = await settled(trainId);
  assert.equal(ended.state, 'cancelled');
  const state = JSON.parse(await readFile(join(fixture.runsDir, 'long', 'state.json'), 'utf8')) as { step: number };
  assert.ok(state.step >= 10, `checkpoint at step ${state.step}`);
  const events = await readEvents(url(`/v1/jobs/${trainId}/events`));
  assert.deepEqual(events.at(-1)?.data.checkpointed, true);
  // the other waiting training starts once the slot is free; cancel it too
  const second = waiting[1]!.body.id as string;
  assert.equal((await json(`/v1/jobs/${second}`, { method: 'DELETE' })).status, 202);
  assert.equal((await settled(second)).state, 'cancelled');
  assert.equal((await json(`/v1/jobs/${generated.body.job as string}`)).body.state, 'done');
  await alive();
});

test('a training job from a config name and dataset name finishes into a new run the API lists; bad configs are 4xx', async () => {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(fixture.configsDir, 'tiny.json'), JSON.stringify(tinyGanConfig('set-by-the-job', 6, 3)));
  assert.deepEqual((await json('/v1/configs')).body.configs, ['tiny.json']);
  assert.deepEqual((await json('/v1/datasets')).body.datasets, ['shapes', 'tones']);
  const submitted = await post('/v1/jobs', {
    task: 'train',
    inputs: { config: 'tiny.json', dataset: 'shapes' },
    params: { name: 'fresh', set: ['training.steps=8'] },
  });
  assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
  const events = await readEvents(url(`/v1/jobs/${submitted.body.id as string}/events`));
  const steps = events.filter((event) => event.type === 'progress').map((event) => event.data.step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(
    events.filter((event) => event.type === 'sample').map((event) => event.data.step),
    [3, 6, 8],
  );
  assert.equal(events.at(-1)?.type, 'done');
  const run = await json('/v1/runs/fresh');
  assert.equal(run.body.step, 8);
  const refusals: [unknown, number, string][] = [
    [{ config: 'nope.json' }, 404, 'unknown_config'],
    [{ config: 'tiny.json', dataset: 'nope' }, 404, 'unknown_dataset'],
    [{ config: 'tiny.json', dataset: '../shapes' }, 400, 'bad_name'],
    [{ config: { recipe: 'text2image-gan', dataset: 'x', training: { steps: -1 } } }, 400, 'bad_config'],
    [{ config: tinyGanConfig('/etc', 6) }, 400, 'dataset_outside'],
    [{ config: tinyGanConfig(join(fixture.dataDir, '..', 'runs'), 6) }, 400, 'dataset_outside'],
  ];
  for (const [inputs, status, code] of refusals) {
    const answer = await post('/v1/jobs', { task: 'train', inputs, params: { name: 'other' } });
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.error, code);
  }
  assert.equal(
    (
      await post('/v1/jobs', {
        task: 'train',
        inputs: { config: 'tiny.json', dataset: 'shapes' },
        params: { name: 'fresh' },
      })
    ).body.error,
    'run_exists',
  );
});

test('datasets show counts and a contact sheet; health, metrics and the OpenAPI page answer', async () => {
  const dataset = await json('/v1/datasets/shapes');
  assert.equal(dataset.status, 200, JSON.stringify(dataset.body));
  assert.equal((dataset.body.counts as { splits: { total: number } }).splits.total, 40);
  assert.equal((await fetch(url(dataset.body.sheet as string))).headers.get('content-type'), 'image/png');
  const metrics = await (await fetch(url('/metrics'))).text();
  assert.match(metrics, /^mmgen_queue_depth 0$/m);
  assert.match(metrics, /^mmgen_jobs\{state="done"\} [1-9]/m);
  assert.match(metrics, /^process_resident_memory_bytes \d+$/m);
  const openapi = await json('/docs/json');
  const paths = Object.keys(openapi.body.paths as object);
  for (const path of [
    '/v1/runs',
    '/v1/runs/{id}',
    '/v1/jobs',
    '/v1/jobs/{id}',
    '/v1/jobs/{id}/events',
    '/v1/generate',
    '/v1/caption',
    '/v1/transcribe',
    '/v1/translate',
    '/v1/uploads',
    '/health',
    '/metrics',
  ]) {
    assert.ok(paths.includes(path), `OpenAPI lists ${path}`);
  }
  assert.equal((await fetch(url('/docs'))).status, 200);
  const studio = await fetch(url('/'));
  assert.match(await studio.text(), /mmgen/);
});

test('with a token: the API needs it (401 JSON without or wrong), health stays open; a non-loopback host needs a token', async () => {
  const guarded = await startTestServer(fixture, { token: 's3cret', workers: 1, rateLimit: 12 });
  try {
    const none = await fetch(`${guarded.url}/v1/runs`);
    assert.equal(none.status, 401);
    assert.match(JSON.stringify(await none.json()), /Bearer/);
    const wrong = await fetch(`${guarded.url}/v1/runs`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${guarded.url}/v1/runs`, { headers: { authorization: 'Bearer s3cret' } });
    assert.equal(right.status, 200);
    assert.ok(right.headers.get('x-ratelimit-limit'), 'rate limited when a token is set');
    assert.equal((await fetch(`${guarded.url}/health`)).status, 200);
    // files for <img> and <audio>, which cannot send a header, take the token in the query
    assert.equal((await fetch(`${guarded.url}/v1/files/runs/gan/samples/latest.png?access_token=s3cret`)).status, 200);
    const badFileToken = await fetch(`${guarded.url}/v1/files/runs/gan/samples/latest.png?access_token=nope`);
    assert.equal(badFileToken.status, 401);
    assert.match(JSON.stringify(await badFileToken.json()), /access_token does not match/);
    assert.equal(
      (await fetch(`${guarded.url}/v1/runs?access_token=s3cret`)).status,
      401,
      'only files take the token in the query',
    );
    // the limit is 12 requests a minute: within 13 more, one is refused
    const statuses: number[] = [];
    for (let index = 0; index < 13; index++)
      statuses.push((await fetch(`${guarded.url}/v1/runs`, { headers: { authorization: 'Bearer s3cret' } })).status);
    assert.ok(statuses.includes(200) && statuses.at(-1) === 429, `statuses ${statuses.join(' ')}`);
    assert.deepEqual(
      statuses.slice(statuses.indexOf(429)),
      statuses.slice(statuses.indexOf(429)).map(() => 429),
      'once refused, refused for the rest of the minute',
    );
    const limited = await fetch(`${guarded.url}/v1/runs`, { headers: { authorization: 'Bearer s3cret' } });
    assert.equal(limited.status, 429);
    assert.equal(((await limited.json()) as { error: string }).error, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal(right.headers.get('access-control-allow-origin'), null, 'CORS is off unless asked for');
  } finally {
    await guarded.close();
  }
  await assert.rejects(startTestServer(fixture, { host: '0.0.0.0' }), /not a loopback address: give --token/);
});

test('closing (as on SIGTERM) drains: no new jobs, a running training writes a checkpoint', async () => {
  const drained = await startTestServer(fixture, { workers: 1 });
  const answer = await fetch(`${drained.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      task: 'train',
      inputs: { config: tinyGanConfig(join(fixture.dataDir, 'shapes'), 100000) },
      params: { name: 'drained' },
    }),
  });
  const id = ((await answer.json()) as { id: string }).id;
  const stream = await fetch(`${drained.url}/v1/jobs/${id}/events`);
  const reader = stream.body!.getReader();
  let seen = '';
  while (!seen.includes('event: progress')) seen += new TextDecoder().decode((await reader.read()).value);
  const closing = drained.close();
  assert.equal(drained.context.draining, true);
  await closing;
  assert.equal(drained.context.queue.get(id)?.state, 'cancelled');
  assert.ok(
    (await stat(join(fixture.runsDir, 'drained', 'state.json'))).size > 0,
    'training wrote a checkpoint before the server stopped',
  );
});
