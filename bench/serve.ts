// `npm run bench -- --only serve [--serve-seconds 60]`: `mmgen serve` under load. 200 concurrent clients
// (autocannon) on POST /v1/generate and on POST /v1/caption against runs of the shapes configs' size: throughput,
// latency, share of 429s, RSS of the server and its worker at start and end, and images/s through the API
// against the same generation (and captioning) called in this process.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { buildDataset } from '../src/data/builders/index.js';
import { applyOverrides, readConfigFile } from '../src/train/config.js';
import { resolveConfig } from '../src/train/recipes.js';
import { loadRun } from '../src/models/run/load-run.js';
import type { DataBenchmark } from './data.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENTS = 200;
/** Clients in the steady run: few enough that nothing is refused, so it measures the API's own cost. */
const STEADY_CLIENTS = 4;
/** The server's queue bound: an accepted job waits for at most this many before it (latency ≈ queue / throughput). */
const QUEUE_SIZE = 32;
const PROMPT = 'big red heart';
const PER_REQUEST = 4;

async function trainRun(config: string, dataset: string, runDir: string): Promise<void> {
  const raw = applyOverrides(await readConfigFile(join(ROOT, 'configs', config)), [
    `dataset=${dataset}`,
    'training.steps=2',
    'training.sampleEvery=1000',
    'training.checkpointEvery=1000',
  ]);
  const { train } = resolveConfig(raw, config);
  await train({ runDir });
}

function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function familyRss(pid: number): { server: number; workers: number } {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // no children listed
  }
  return { server: rssOf(pid), workers: children.reduce((sum, child) => sum + rssOf(child), 0) };
}

async function startServe(runsDir: string, outputs: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/mmgen.js'),
      'serve',
      '--runs',
      runsDir,
      '--outputs',
      outputs,
      '--port',
      '0',
      '--workers',
      '1',
      '--queue-size',
      String(QUEUE_SIZE),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MMGEN_THREADS: '1' } },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`mmgen serve exited (${code})`)));
  });
  return { child, url };
}

interface LoadResult {
  requestsPerSecond: number;
  accepted: number;
  tooMany: number;
  otherErrors: number;
  p50: number;
  p99: number;
  /** Server-side time (queued → done) of accepted jobs. */
  jobP50: number;
  jobP99: number;
}

async function load(
  url: string,
  path: string,
  seconds: number,
  body: Buffer | string,
  contentType: string,
  task: string,
  clients = CLIENTS,
  rss?: () => void,
): Promise<LoadResult> {
  const sampler = rss ? setInterval(rss, (seconds * 1000) / 6) : undefined;
  const result = await autocannon({
    url: `${url}${path}`,
    method: 'POST',
    connections: clients,
    duration: seconds,
    timeout: 30,
    body,
    headers: { 'content-type': contentType },
  });
  if (sampler) clearInterval(sampler);
  const codes = (result as unknown as { statusCodeStats: Record<string, { count: number }> }).statusCodeStats;
  const count = (code: string): number => codes[code]?.count ?? 0;
  const total = Object.values(codes).reduce((sum, entry) => sum + entry.count, 0);
  const times: number[] = [];
  for (let offset = 0; offset < 1000; offset += 200) {
    const page = (await (await fetch(`${url}/v1/jobs?limit=200&offset=${offset}`)).json()) as {
      jobs: { spec: { task: string }; state: string; createdAt: string; finishedAt?: string }[];
    };
    for (const job of page.jobs)
      if (job.spec.task === task && job.state === 'done' && job.finishedAt)
        times.push(Date.parse(job.finishedAt) - Date.parse(job.createdAt));
  }
  times.sort((a, b) => a - b);
  const quantile = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  return {
    requestsPerSecond: total / seconds,
    accepted: count('200'),
    tooMany: count('429'),
    otherErrors: total - count('200') - count('429') + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    jobP50: quantile(0.5),
    jobP99: quantile(0.99),
  };
}

/** Images per second of the same calls in this process, for `seconds`. */
async function inProcess(seconds: number, call: () => Promise<number>): Promise<number> {
  let images = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) images += await call();
  return images / ((performance.now() - started) / 1000);
}

function multipart(field: string, run: string, file: Buffer): { body: Buffer; type: string } {
  const boundary = 'mmgenbench0boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="run"\r\n\r\n${run}\r\n`),
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="${field}"; filename="shape.png"\r\ncontent-type: image/png\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

export async function runServeBenchmarks(options: {
  quick: boolean;
  seconds?: number;
  progress?: (message: string) => void;
}): Promise<DataBenchmark[]> {
  const seconds = options.seconds ?? (options.quick ? 10 : 60);
  const say = options.progress ?? (() => {});
  const root = await mkdtemp(join(tmpdir(), 'mmgen-bench-serve-'));
  const results: DataBenchmark[] = [];
  try {
    const dataset = join(root, 'shapes');
    await buildDataset({ builder: 'shapes', out: dataset, seed: 0, options: { level: 3, count: 300 } });
    const runsDir = join(root, 'runs');
    await mkdir(runsDir);
    say('serve: training the GAN and captioner runs for 2 steps (full-size shapes configs)');
    await trainRun('shapes-gan.yaml', dataset, join(runsDir, 'gan'));
    await trainRun('captioner-shapes.yaml', dataset, join(runsDir, 'captioner'));
    const png = await readFile(join(dataset, 'images', '00000.png'));

    say(`serve: in-process reference (${Math.min(seconds, 15)} s each; again after the load, and the mean is used)`);
    const gan = await loadRun(join(runsDir, 'gan'));
    const captioner = await loadRun(join(runsDir, 'captioner'));
    const scratch = join(root, 'scratch');
    await mkdir(scratch);
    const imagePath = join(scratch, 'in.png');
    await writeFile(imagePath, png);
    let seed = 0;
    const referenceSeconds = Math.min(seconds, 15);
    const generateInProcess = (): Promise<number> =>
      inProcess(referenceSeconds, async () => {
        const outputs = await gan.generate(PROMPT, { n: PER_REQUEST, seed: seed++ });
        for (const output of outputs) await output.save(join(scratch, `out-${output.index}.${output.extension}`));
        return outputs.length;
      });
    const captionInProcess = async (): Promise<number> =>
      inProcess(referenceSeconds, async () => (await captioner.caption([imagePath], {})).length);
    const generateBefore = await generateInProcess();
    const captionBefore = await captionInProcess();

    const outputs = join(root, 'outputs');
    const { child, url } = await startServe(runsDir, outputs);
    try {
      // warm: each run opened once in the worker
      await fetch(`${url}/v1/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ run: 'gan', text: PROMPT, n: PER_REQUEST }),
      });
      const upload = multipart('file', 'captioner', png);
      await fetch(`${url}/v1/caption`, {
        method: 'POST',
        headers: { 'content-type': upload.type },
        body: new Uint8Array(upload.body),
      });
      const generateBody = JSON.stringify({ run: 'gan', text: PROMPT, n: PER_REQUEST, seed: 1 });
      const steadySeconds = Math.min(seconds, 10);
      say(`serve: ${STEADY_CLIENTS} clients on POST /v1/generate and /v1/caption for ${steadySeconds} s each`);
      const steadyGenerate = await load(
        url,
        '/v1/generate',
        steadySeconds,
        generateBody,
        'application/json',
        'generate',
        STEADY_CLIENTS,
      );
      const steadyCaption = await load(
        url,
        '/v1/caption',
        steadySeconds,
        upload.body,
        upload.type,
        'caption',
        STEADY_CLIENTS,
      );
      const rssStart = familyRss(child.pid!);
      const samples: number[] = [];
      const sample = (): void => void samples.push(familyRss(child.pid!).server);
      say(`serve: ${CLIENTS} clients on POST /v1/generate for ${seconds} s`);
      const generate = await load(
        url,
        '/v1/generate',
        seconds,
        generateBody,
        'application/json',
        'generate',
        CLIENTS,
        sample,
      );
      const rssMiddle = familyRss(child.pid!);
      say(`serve: ${CLIENTS} clients on POST /v1/caption for ${seconds} s`);
      const caption = await load(url, '/v1/caption', seconds, upload.body, upload.type, 'caption', CLIENTS, sample);
      const rssEnd = familyRss(child.pid!);
      say('serve: in-process reference again');
      const generateAfter = await generateInProcess();
      const captionAfter = await captionInProcess();
      const generateRate = (generateBefore + generateAfter) / 2;
      const captionRate = (captionBefore + captionAfter) / 2;
      results.push(
        {
          name: 'serve generate: images/s in process, before / after the load',
          value: generateBefore,
          unit: `/ ${generateAfter.toFixed(1)} images/s`,
        },
        {
          name: 'serve caption: images/s in process, before / after the load',
          value: captionBefore,
          unit: `/ ${captionAfter.toFixed(1)} images/s`,
        },
      );
      const mb = (bytes: number): number => bytes / 1024 / 1024;
      for (const [name, result, perRequest, reference] of [
        ['generate', generate, PER_REQUEST, generateRate],
        ['caption', caption, 1, captionRate],
      ] as const) {
        const total = result.accepted + result.tooMany + result.otherErrors;
        const apiRate = (result.accepted * perRequest) / seconds;
        results.push(
          {
            name: `serve ${name}: requests answered (${CLIENTS} clients, ${seconds} s)`,
            value: result.requestsPerSecond,
            unit: 'req/s',
          },
          { name: `serve ${name}: latency p50 / all answers`, value: result.p50, unit: 'ms' },
          { name: `serve ${name}: latency p99 / all answers`, value: result.p99, unit: 'ms' },
          { name: `serve ${name}: accepted job p50 (queued → done, server side)`, value: result.jobP50, unit: 'ms' },
          { name: `serve ${name}: accepted job p99 (queued → done, server side)`, value: result.jobP99, unit: 'ms' },
          { name: `serve ${name}: share of 429`, value: total > 0 ? (100 * result.tooMany) / total : 0, unit: '%' },
          { name: `serve ${name}: errors other than 429`, value: result.otherErrors, unit: 'count' },
          { name: `serve ${name}: images/s through the API`, value: apiRate, unit: 'images/s' },
          { name: `serve ${name}: images/s in process (mean of before and after)`, value: reference, unit: 'images/s' },
          { name: `serve ${name}: API / in-process`, value: apiRate / reference, unit: 'ratio' },
        );
      }
      for (const [name, result, perRequest, reference] of [
        ['generate', steadyGenerate, PER_REQUEST, generateRate],
        ['caption', steadyCaption, 1, captionRate],
      ] as const) {
        const apiRate = (result.accepted * perRequest) / steadySeconds;
        results.push(
          {
            name: `serve ${name}, ${STEADY_CLIENTS} clients: images/s through the API`,
            value: apiRate,
            unit: 'images/s',
          },
          {
            name: `serve ${name}, ${STEADY_CLIENTS} clients: API / in-process`,
            value: apiRate / reference,
            unit: 'ratio',
          },
          { name: `serve ${name}, ${STEADY_CLIENTS} clients: latency p99`, value: result.p99, unit: 'ms' },
          {
            name: `serve ${name}, ${STEADY_CLIENTS} clients: refused or failed`,
            value: result.tooMany + result.otherErrors,
            unit: 'count',
          },
        );
      }
      results.push(
        {
          name: `serve: server RSS samples under load (every ${(seconds / 6).toFixed(0)} s)`,
          value: NaN,
          unit: samples.map((bytes) => mb(bytes).toFixed(0)).join(' ') + ' MB',
        },
        { name: 'serve: server RSS at start', value: mb(rssStart.server), unit: 'MB' },
        { name: 'serve: server RSS after generate', value: mb(rssMiddle.server), unit: 'MB' },
        { name: 'serve: server RSS at end', value: mb(rssEnd.server), unit: 'MB' },
        { name: 'serve: worker RSS at start', value: mb(rssStart.workers), unit: 'MB' },
        { name: 'serve: worker RSS at end', value: mb(rssEnd.workers), unit: 'MB' },
      );
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    gan.dispose();
    captioner.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return results;
}
