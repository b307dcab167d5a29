// mmgen side of `npm run bench`: a long-lived worker driven by JSON lines on stdin, the twin of
// bench/reference.py. Every step runs inside the model's tidy(); the loop awaits between steps as a
// training loop does, so the RSS it reports is what a real run would see.
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { getNumThreads, memory, ones, full, runtimeInfo } from '../../src/tensor/index.js';
import { modelLoaders } from '../models/index.js';
import type { BenchModel } from '../models/types.js';
import { profileNativeCalls } from './call-profile.js';
import { mainThreadTimes, processMemory } from './proc-status.js';
import { type AnswerMap, type Request, modelNames, tinyOps } from './protocol.js';
import { median } from './stats.js';

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let model: BenchModel | undefined;

function built(): BenchModel {
  if (!model) throw new Error('no model built: send {"cmd": "build", "model": ...} first');
  return model;
}

async function runSteps(steps: number): Promise<AnswerMap['run']> {
  const bench = built();
  const ms: number[] = [];
  const cpuMs: number[] = [];
  const waitMs: number[] = [];
  let losses: number[] = [];
  for (let index = 0; index < steps; index++) {
    const before = mainThreadTimes();
    const started = performance.now();
    losses = bench.step();
    ms.push(performance.now() - started);
    const after = mainThreadTimes();
    cpuMs.push(after.cpuMs - before.cpuMs);
    waitMs.push(after.waitMs - before.waitMs);
    await yieldToEventLoop();
  }
  return { ms, cpuMs, waitMs, losses };
}

const warmedUp = new Set<string>();

function tinyOp(op: string, calls: number, rounds: number): AnswerMap['tinyop'] {
  if (!(tinyOps as readonly string[]).includes(op))
    throw new Error(`unknown tiny op "${op}"; expected one of ${tinyOps.join(', ')}`);
  const x = ones([4]);
  const other = full([4], 2);
  const loop =
    op === 'addScalar'
      ? (): void => {
          for (let index = 0; index < calls; index++) x.add(1).dispose();
        }
      : (): void => {
          for (let index = 0; index < calls; index++) x.mul(other).dispose();
        };
  if (!warmedUp.has(op)) loop(); // first request only: warm-up round (JIT)
  warmedUp.add(op);
  const us: number[] = [];
  const cpuUs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = mainThreadTimes().cpuMs;
    const started = performance.now();
    loop();
    us.push(((performance.now() - started) * 1000) / calls);
    cpuUs.push(((mainThreadTimes().cpuMs - before) * 1000) / calls);
  }
  x.dispose();
  other.dispose();
  return { us, cpuUs };
}

function profile(steps: number): AnswerMap['profile'] {
  const bench = built();
  let elapsed = 0;
  let cpu = 0;
  const calls = profileNativeCalls(() => {
    const cpuBefore = mainThreadTimes().cpuMs;
    const started = performance.now();
    for (let index = 0; index < steps; index++) bench.step();
    elapsed = performance.now() - started;
    cpu = mainThreadTimes().cpuMs - cpuBefore;
  }, ['backward', 'adamStep']);
  const perStep = (value: number | undefined): number => (value ?? 0) / steps;
  const stepMs = elapsed / steps;
  const stepCpuMs = cpu / steps;
  // phases in CPU ms (robust on a busy machine); js = wall time outside native calls
  const backward = perStep(calls.cpuMs.get('backward'));
  const optimizer = perStep(calls.cpuMs.get('adamStep'));
  const byCount = [...calls.counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  const byTime = [...calls.ms.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return {
    stepMs,
    stepCpuMs,
    callsPerStep: calls.totalCalls / steps,
    topCalls: Object.fromEntries(byCount.map(([name, count]) => [name, count / steps])),
    phases: {
      forward: stepCpuMs - backward - optimizer,
      backward,
      optimizer,
      js: stepMs - calls.totalNativeMs / steps,
    },
    nativeMs: Object.fromEntries(byTime.map(([name, ms]) => [name, ms / steps])),
  };
}

async function drift(steps: number, sampleEvery: number): Promise<AnswerMap['drift']> {
  const bench = built();
  const tensorsBefore = memory().tensors;
  const rssBeforeKb = processMemory().rssKb;
  const samplesKb: number[] = [];
  const ms: number[] = [];
  for (let index = 1; index <= steps; index++) {
    const started = performance.now();
    bench.step();
    ms.push(performance.now() - started);
    await yieldToEventLoop();
    if (index % sampleEvery === 0) samplesKb.push(processMemory().rssKb);
  }
  return {
    steps,
    rssBeforeKb,
    rssAfterKb: processMemory().rssKb,
    samplesKb,
    tensorsBefore,
    tensorsAfter: memory().tensors,
    medianMs: median(ms),
  };
}

async function handle(request: Request): Promise<Record<string, unknown>> {
  switch (request.cmd) {
    case 'hello': {
      const info = runtimeInfo();
      return {
        pid: process.pid,
        runtime: `mmgen over libtorch ${info.torch}, node ${process.versions.node}`,
        threads: getNumThreads(),
      };
    }
    case 'build': {
      if (!(modelNames as readonly string[]).includes(request.model)) {
        throw new Error(`unknown model "${request.model}"; expected one of ${modelNames.join(', ')}`);
      }
      const started = performance.now();
      const build = await modelLoaders[request.model]();
      model?.dispose();
      model = build(request.seed);
      return { parameters: model.parameters, buildMs: performance.now() - started };
    }
    case 'run':
      return { ...(await runSteps(request.steps)) };
    case 'rss':
      return { ...processMemory() };
    case 'tinyop':
      return { ...tinyOp(request.op, request.calls, request.rounds) };
    case 'profile':
      return { ...profile(request.steps) };
    case 'drift':
      return { ...(await drift(request.steps, request.sampleEvery)) };
    case 'exit':
      return {};
  }
}

async function main(): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    let answer: Record<string, unknown>;
    let request: Request | undefined;
    try {
      request = JSON.parse(line) as Request;
      if (request.cmd === 'exit') break;
      answer = { ok: true, ...(await handle(request)) };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      answer = { ok: false, error: failure.message, trace: failure.stack };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  }
  model?.dispose();
}

await main();
