// Joint runs through the API: translate (text → image and sound; an uploaded image → text) and sample, as
// jobs and as the /v1/translate shortcut, against a real server with a tiny joint-vae trained here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from '../../src/serve/server.js';
import { memory } from '../../src/tensor/index.js';
import { readEvents, type ServeFixture, startTestServer, trainServeRuns } from './helpers.js';

let fixture: ServeFixture;
let server: Server;
let tensorsBefore = 0;
const post = async (path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const kinds = (body: Record<string, unknown>): string[] =>
  (body.files as { kind: string }[]).map((file) => file.kind).sort();

before(async () => {
  tensorsBefore = memory().tensors;
  fixture = await trainServeRuns({ joint: true });
  server = await startTestServer(fixture);
});

after(async () => {
  await server.close();
  await fixture.cleanup();
  assert.equal(memory().tensors, tensorsBefore, 'training the joint run leaked tensors');
});

test('translate: text → images and sounds, an uploaded image → text; same seed same bytes; bad targets are 400', async () => {
  const run = (await (await fetch(`${server.url}/v1/runs/joint`)).json()) as {
    capabilities: string[];
    modalities: { inputs: string[]; outputs: string[] };
  };
  assert.deepEqual(run.capabilities, ['translate', 'sample']);
  assert.deepEqual(run.modalities, { inputs: ['text', 'image', 'audio'], outputs: ['text', 'image', 'audio'] });
  const fromText = await post('/v1/translate', { run: 'joint', text: 'heart', n: 2, seed: 3 });
  assert.equal(fromText.status, 200, JSON.stringify(fromText.body));
  assert.deepEqual(kinds(fromText.body), ['audio', 'audio', 'image', 'image']);
  const again = await post('/v1/translate', { run: 'joint', text: 'heart', n: 2, seed: 3 });
  const bytes = async (body: Record<string, unknown>): Promise<Buffer> =>
    Buffer.from(await (await fetch(`${server.url}${(body.files as { url: string }[])[0]!.url}`)).arrayBuffer());
  assert.ok((await bytes(fromText.body)).equals(await bytes(again.body)), 'same seed, same picture');

  const form = new FormData();
  form.append(
    'file',
    new Blob([new Uint8Array(await readFile(join(fixture.dataDir, 'spoken-shapes', 'images', '00000.png')))]),
    'shape.png',
  );
  const uploaded = (await (await fetch(`${server.url}/v1/uploads`, { method: 'POST', body: form })).json()) as {
    path: string;
    kind: string;
  };
  assert.equal(uploaded.kind, 'image');
  assert.match(uploaded.path, /^uploads\/[0-9a-f-]+\.png$/);
  const fromImage = await post('/v1/translate', { run: 'joint', image: uploaded.path, to: ['text'] });
  assert.equal(fromImage.status, 200, JSON.stringify(fromImage.body));
  assert.equal((fromImage.body.texts as string[]).length, 1);
  assert.deepEqual(fromImage.body.files, []);

  const nothing = await post('/v1/translate', { run: 'joint', to: ['image'] });
  assert.equal(nothing.status, 400);
  assert.match(String(nothing.body.message), /at least one of inputs\.text, inputs\.image, inputs\.audio/);
  const generateOnJoint = await post('/v1/generate', { run: 'joint', text: 'heart' });
  assert.equal(generateOnJoint.status, 400);
  assert.match(String(generateOnJoint.body.message), /cannot generate; it can translate, sample/);
});

test('sample: a job draws all modalities together and reports over SSE', async () => {
  const submitted = await post('/v1/jobs', { run: 'joint', task: 'sample', params: { n: 3, seed: 1 } });
  assert.equal(submitted.status, 202);
  const events = await readEvents(`${server.url}/v1/jobs/${submitted.body.id as string}/events`);
  assert.deepEqual(
    events.map((event) => event.type),
    ['queued', 'started', 'done'],
  );
  const result = events.at(-1)!.data.result as { files: { kind: string }[]; texts: string[] };
  assert.equal(result.files.filter((file) => file.kind === 'image').length, 3);
  assert.equal(result.files.filter((file) => file.kind === 'audio').length, 3);
  assert.equal(result.texts.length, 3);
});
