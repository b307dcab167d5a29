// One benchmark = a fresh mmgen worker and a fresh PyTorch worker (so each peak RSS belongs to one
// model), driven step-block by step-block in turn: warm-up, interleaved timed reps, profile, drift.
import { fileURLToPath } from 'node:url';
import { type ModelName, type RunAnswer, tinyOps, type TinyOp } from './protocol.js';
import type { DriftResult, ModelResult, Settings, SideResult, TinyOpResult } from './results.js';
import { median, minimum, quantile } from './stats.js';
import { WorkerClient } from './worker-client.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const nodeWorkerPath = fileURLToPath(new URL('./node-worker.ts', import.meta.url));
const referencePath = fileURLToPath(new URL('../reference.py', import.meta.url));

/** Debian's interpreter with python3-torch; the pyenv python3 on PATH has no torch. */
export const pythonPath = process.env.MMGEN_BENCH_PYTHON ?? '/usr/bin/python3';

export const descriptions: Record<ModelName, string> = {
  dcgan: 'DCGAN 32x32x3, batch 64, D+G update',
  gru: 'GRU char LM, 64x64 tokens, hidden 256',
  transformer: 'transformer LM, 32x128 tokens, width 256',
  vae: 'conv VAE 64x64x3, batch 64, latent 64',
  score: 'joint-diffusion score MLP, 3x32 latents, width 512, batch 256',
  ddim: 'DDIM sample, 64 joint latents x 50 steps (no grad)',
};

export const tinyOpLabels: Record<TinyOp, string> = {
  addScalar: 'x.add(1), then free',
  mulTensor: 'x.mul(y), then free',
};

export type Progress = (message: string) => void;

export interface Workers {
  mmgen: WorkerClient;
  torch: WorkerClient;
  runtime: { mmgen: string; torch: string };
}

export async function startWorkers(threads: number): Promise<Workers> {
  const threadCount = String(threads);
  const env = {
    ...process.env,
    OMP_NUM_THREADS: threadCount,
    OPENBLAS_NUM_THREADS: threadCount,
    MKL_NUM_THREADS: threadCount,
    MMGEN_THREADS: threadCount,
  };
  const mmgen = new WorkerClient('mmgen', process.execPath, ['--import', 'tsx', nodeWorkerPath], {
    env,
    cwd: repoRoot,
  });
  const torch = new WorkerClient('PyTorch', pythonPath, [referencePath], { env, cwd: repoRoot });
  try {
    const [mmgenHello, torchHello] = await Promise.all([
      mmgen.request({ cmd: 'hello' }),
      torch.request({ cmd: 'hello' }),
    ]);
    for (const [label, hello] of [
      ['mmgen', mmgenHello],
      ['PyTorch', torchHello],
    ] as const) {
      if (hello.threads !== threads)
        throw new Error(`${label} worker runs ${hello.threads} threads, expected ${threads}`);
    }
    return { mmgen, torch, runtime: { mmgen: mmgenHello.runtime, torch: torchHello.runtime } };
  } catch (error) {
    await Promise.allSettled([mmgen.close(), torch.close()]);
    throw error;
  }
}

export async function stopWorkers(workers: Workers): Promise<void> {
  await Promise.allSettled([workers.mmgen.close(), workers.torch.close()]);
}

function side(
  parameters: number,
  buildMs: number,
  runs: RunAnswer[],
  firstLosses: number[],
  baselineKb: number,
  rss: { rssKb: number; peakKb: number },
): SideResult {
  const stepMs = runs.flatMap((run) => run.ms);
  const cpuMs = runs.flatMap((run) => run.cpuMs);
  return {
    parameters,
    buildMs,
    stepMs,
    medianMs: median(stepMs),
    minMs: minimum(stepMs),
    p10Ms: quantile(stepMs, 0.1),
    p90Ms: quantile(stepMs, 0.9),
    cpuMs,
    medianCpuMs: median(cpuMs),
    medianWaitMs: median(runs.flatMap((run) => run.waitMs)),
    firstLosses,
    lastLosses: runs[runs.length - 1]?.losses ?? [],
    baselineKb,
    rssKb: rss.rssKb,
    peakKb: rss.peakKb,
  };
}

export async function benchModel(
  name: ModelName,
  settings: Settings,
  workers: Workers,
  progress: Progress,
): Promise<ModelResult> {
  const { mmgen, torch } = workers;
  progress(`${name}: building`);
  const [mmgenBaseline, torchBaseline] = [await mmgen.request({ cmd: 'rss' }), await torch.request({ cmd: 'rss' })];
  const [mmgenBuild, torchBuild] = [
    await mmgen.request({ cmd: 'build', model: name, seed: settings.seed }),
    await torch.request({ cmd: 'build', model: name, seed: settings.seed }),
  ];
  if (mmgenBuild.parameters !== torchBuild.parameters) {
    throw new Error(
      `${name}: mmgen has ${mmgenBuild.parameters} parameters, PyTorch ${torchBuild.parameters}; the two definitions differ`,
    );
  }
  // the first step alone, so its losses compare the two sides from the same seed
  const mmgenFirst = await mmgen.request({ cmd: 'run', steps: 1 });
  const torchFirst = await torch.request({ cmd: 'run', steps: 1 });
  progress(`${name}: warm-up`);
  if (settings.warmupSteps > 1) {
    await mmgen.request({ cmd: 'run', steps: settings.warmupSteps - 1 });
    await torch.request({ cmd: 'run', steps: settings.warmupSteps - 1 });
  }
  const mmgenRuns: RunAnswer[] = [];
  const torchRuns: RunAnswer[] = [];
  const repRatios: number[] = [];
  for (let rep = 0; rep < settings.reps; rep++) {
    progress(`${name}: rep ${rep + 1}/${settings.reps}`);
    // alternate who goes first, so neither side always runs right after the other
    const order = rep % 2 === 0 ? [mmgen, torch] : [torch, mmgen];
    for (const worker of order) {
      const answer = await worker.request({ cmd: 'run', steps: settings.stepsPerRep });
      (worker === mmgen ? mmgenRuns : torchRuns).push(answer);
    }
    repRatios.push(median(mmgenRuns[rep]?.ms ?? []) / median(torchRuns[rep]?.ms ?? []));
  }
  const [mmgenRss, torchRss] = [await mmgen.request({ cmd: 'rss' }), await torch.request({ cmd: 'rss' })];
  progress(`${name}: profile`);
  const mmgenProfile = await mmgen.request({ cmd: 'profile', steps: settings.profileSteps });
  const torchProfile = await torch.request({ cmd: 'profile', steps: settings.profileSteps });
  progress(`${name}: mmgen RSS drift over ${settings.driftSteps} steps`);
  const drifted = await mmgen.request({
    cmd: 'drift',
    steps: settings.driftSteps,
    sampleEvery: settings.driftSampleEvery,
  });
  const afterDrift = await mmgen.request({ cmd: 'rss' });
  const drift: DriftResult = {
    steps: drifted.steps,
    rssBeforeKb: drifted.rssBeforeKb,
    rssAfterKb: drifted.rssAfterKb,
    percent: ((drifted.rssAfterKb - drifted.rssBeforeKb) / drifted.rssBeforeKb) * 100,
    samplesKb: drifted.samplesKb,
    tensorsBefore: drifted.tensorsBefore,
    tensorsAfter: drifted.tensorsAfter,
    medianMs: drifted.medianMs,
    peakKb: afterDrift.peakKb,
  };
  const mmgenSide = {
    ...side(mmgenBuild.parameters, mmgenBuild.buildMs, mmgenRuns, mmgenFirst.losses, mmgenBaseline.rssKb, mmgenRss),
    profile: mmgenProfile,
  };
  const torchSide = {
    ...side(torchBuild.parameters, torchBuild.buildMs, torchRuns, torchFirst.losses, torchBaseline.rssKb, torchRss),
    profile: torchProfile,
  };
  return {
    name,
    description: descriptions[name],
    mmgen: mmgenSide,
    torch: torchSide,
    ratio: mmgenSide.medianMs / torchSide.medianMs,
    cpuRatio: mmgenSide.medianCpuMs / torchSide.medianCpuMs,
    minRatio: mmgenSide.minMs / torchSide.minMs,
    repRatios,
    drift,
  };
}

export async function benchTinyOps(settings: Settings, workers: Workers, progress: Progress): Promise<TinyOpResult[]> {
  const results: TinyOpResult[] = [];
  for (const op of tinyOps) {
    progress(`tiny op ${op}`);
    const mmgenUs: number[] = [];
    const torchUs: number[] = [];
    const mmgenCpuUs: number[] = [];
    const torchCpuUs: number[] = [];
    // one round per request, alternating sides, so a burst of load on the machine hits both
    for (let round = 0; round < settings.tinyOpRounds; round++) {
      const request = { cmd: 'tinyop', op, calls: settings.tinyOpCalls, rounds: 1 } as const;
      const order = round % 2 === 0 ? [workers.mmgen, workers.torch] : [workers.torch, workers.mmgen];
      for (const worker of order) {
        const answer = await worker.request(request);
        (worker === workers.mmgen ? mmgenUs : torchUs).push(...answer.us);
        (worker === workers.mmgen ? mmgenCpuUs : torchCpuUs).push(...answer.cpuUs);
      }
    }
    const mmgenMedianUs = median(mmgenUs);
    const torchMedianUs = median(torchUs);
    results.push({
      op,
      label: tinyOpLabels[op],
      mmgenUs,
      torchUs,
      mmgenMedianUs,
      torchMedianUs,
      ratio: mmgenMedianUs / torchMedianUs,
      mmgenCpuUs,
      torchCpuUs,
      cpuRatio: median(mmgenCpuUs) / median(torchCpuUs),
    });
  }
  return results;
}
