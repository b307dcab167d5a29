// Data-parallel training speed: the default captioner architecture (64×64 shapes, global batch 32)
// trained by 1 process and by 2 processes on this host over c10d/Gloo (loopback), steps/s of each,
// their ratio, and the time per step spent in all-reduce beside the step time. All-reduce time
// includes waiting for the slower rank, so on a shared machine it also measures imbalance.
// Run alone with `node --import tsx bench/distributed.ts [--quick]`; bench/run.ts calls runDistributedBenchmarks.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDataset } from '../src/data/builders/index.js';
import { freeLoopbackPort } from '../src/cli/commands/train-workers.js';
import type { DataBenchmark } from './data.js';

interface RankReport {
  rank: number;
  steps: number;
  stepsPerSecond: number;
  stepMs: number;
  allReduceMsPerStep: number;
  pureMsPerStep: number;
  megabytesPerStep: number;
}

const WORKER = fileURLToPath(new URL('./distributed-worker.ts', import.meta.url));

function runRank(
  config: string,
  runDir: string,
  rank: number,
  world: number,
  port: number,
  warmup: number,
): Promise<RankReport> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, config, runDir, String(rank), String(world), String(port), String(warmup)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      if (code !== 0)
        reject(new Error(`rank ${rank} of ${world} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as RankReport);
    }),
  );
}

async function runWorld(config: string, root: string, world: number, warmup: number): Promise<RankReport[]> {
  const port = world > 1 ? await freeLoopbackPort() : 0;
  const runDir = join(root, `run-${world}`);
  return Promise.all(Array.from({ length: world }, (_, rank) => runRank(config, runDir, rank, world, port, warmup)));
}

export async function runDistributedBenchmarks(options: { quick: boolean }): Promise<DataBenchmark[]> {
  const root = await mkdtemp(join(tmpdir(), 'mmgen-bench-dist-'));
  try {
    const dataset = join(root, 'shapes');
    await buildDataset({
      builder: 'shapes',
      out: dataset,
      seed: 0,
      options: { level: 1, count: 160, textures: 'noise' },
    });
    const warmup = 3;
    const steps = warmup + (options.quick ? 12 : 40);
    const config = join(root, 'captioner.json');
    await writeFile(
      config,
      JSON.stringify({
        recipe: 'captioner',
        dataset,
        seed: 1,
        training: { steps, batchSize: 32, sampleEvery: 100_000, checkpointEvery: 100_000, logEvery: 1 },
      }),
    );
    const load = loadavg()[0] ?? 0;
    const [one] = await runWorld(config, root, 1, warmup);
    const two = await runWorld(config, root, 2, warmup);
    const rank0 = two[0];
    if (!one || !rank0) throw new Error('a benchmark rank reported nothing');
    const slowest = Math.min(...two.map((report) => report.stepsPerSecond));
    const label = 'captioner 64×64, global batch 32';
    return [
      { name: `data-parallel: ${label}, 1 process`, value: one.stepsPerSecond, unit: 'steps/s' },
      { name: `data-parallel: ${label}, 2 processes (Gloo, loopback)`, value: slowest, unit: 'steps/s' },
      { name: 'data-parallel: 2 processes / 1 process', value: slowest / one.stepsPerSecond, unit: '× (2 cores: ≤ 2)' },
      { name: 'data-parallel: 1 process, step time', value: one.stepMs, unit: 'ms' },
      { name: 'data-parallel: 2 processes, step time (rank 0)', value: rank0.stepMs, unit: 'ms' },
      {
        name: 'data-parallel: 2 processes, all-reduce time per step (rank 0, incl. waiting)',
        value: rank0.allReduceMsPerStep,
        unit: 'ms',
      },
      {
        name: 'data-parallel: 2 processes, the same all-reduce alone after a barrier',
        value: rank0.pureMsPerStep,
        unit: 'ms',
      },
      { name: 'data-parallel: all-reduced per step (float32)', value: rank0.megabytesPerStep, unit: 'MB' },
      { name: 'data-parallel: 1-minute load average before the runs', value: load, unit: '(shared machine)' },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  for (const result of await runDistributedBenchmarks({ quick: values.quick ?? false })) {
    process.stdout.write(`${result.name.padEnd(80)} ${result.value.toFixed(2).padStart(10)} ${result.unit}\n`);
  }
}
