// Data-parallel training over c10d/Gloo on 127.0.0.1: two ranks with a global batch of 8 end where one
// process with a batch of 8 ends; a killed rank stops the other with an error naming it, and the last
// checkpoint loads; a run resumes only with its own world size; bad flags are clear errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSafetensors } from '../../src/tensor/safetensors.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { dispose } from '../../src/tensor/index.js';
import { freeLoopbackPort } from '../../src/cli/commands/train-workers.js';
import { type TinyDataset, tinyShapes } from '../eval/helpers.js';

let data: TinyDataset;
const WORKER = 'test/train/distributed-worker.ts';

before(async () => {
  data = await tinyShapes({ level: 1, count: 48 });
});
after(async () => {
  await data.cleanup();
});

interface WorkerReport {
  rank: number;
  step: number;
  before: number;
  after: number;
  allReduceCalls: number;
}

function runWorker(runDir: string, rank: number, world: number, port: number, batch: number): Promise<WorkerReport> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, data.dir, runDir, String(rank), String(world), String(port), '5', String(batch)],
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
      if (code !== 0) reject(new Error(`worker rank ${rank} exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim()) as WorkerReport);
    }),
  );
}

/** The largest absolute difference between same-named weights of two runs. */
async function weightDifference(runA: string, runB: string): Promise<number> {
  const a = await loadSafetensors(join(runA, 'model.safetensors'));
  const b = await loadSafetensors(join(runB, 'model.safetensors'));
  let largest = 0;
  try {
    assert.deepEqual([...a.tensors.keys()].sort(), [...b.tensors.keys()].sort());
    for (const [name, value] of a.tensors)
      largest = Math.max(largest, value.sub(b.tensors.get(name)!).abs().max().item());
  } finally {
    dispose([...a.tensors.values(), ...b.tensors.values()]);
  }
  return largest;
}

test('two ranks with a global batch of 8 end with the weights of one process with a batch of 8, without leaks', async () => {
  const single = join(data.root, 'single');
  const pair = join(data.root, 'pair');
  const half = join(data.root, 'half');
  await runWorker(single, 0, 1, 0, 8);
  const port = await freeLoopbackPort();
  const reports = await Promise.all([runWorker(pair, 0, 2, port, 8), runWorker(pair, 1, 2, port, 8)]);
  await runWorker(half, 0, 1, 0, 4);
  for (const report of reports) {
    assert.equal(report.step, 5);
    assert.equal(report.after, report.before, `rank ${report.rank} leaked ${report.after - report.before} tensors`);
    // per step: presence mask + gradients (one bucket, synced once for clipping and both optimisers) + the step agreement
    assert.equal(report.allReduceCalls, 15);
  }
  // rank 0's metrics hold the losses averaged over ranks: the global batch's, as one process logs them
  const metrics = async (run: string): Promise<{ loss: number; gradNorm: number }[]> =>
    (await readFile(join(run, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { loss: number; gradNorm: number });
  const [alone, together] = [await metrics(single), await metrics(pair)];
  assert.equal(together.length, 5);
  together.forEach((entry, index) => {
    assert.ok(
      Math.abs(entry.loss - (alone[index]?.loss ?? NaN)) < 1e-5,
      `step ${index + 1}: loss ${entry.loss} against ${alone[index]?.loss}`,
    );
    assert.ok(
      entry.gradNorm > 0.5,
      'the clip (max norm 0.5) must bite for the test to show that it sees the averaged gradient',
    );
  });
  const payload = await readCheckpoint(pair);
  const state = payload.state;
  dispose([...payload.model.values(), ...payload.trainer.values()]);
  assert.equal(state.worldSize, 2);
  // fp32: one process averages 8 per-sample gradients at once, two ranks average two means of 4, so the
  // sums differ in their last bits (~1e-7 relative to each gradient); with lr 0.05 (SGD) and 3e-3 (Adam) over
  // 5 steps that moves weights by ~1e-8. Measured 1.5e-8 at seeds 1, 2 and 11; 1e-6 leaves a 60x margin for
  // another CPU's rounding, while a wrong gradient (one shard only: the batch-4 run) is off by > 1e-2 (measured).
  const difference = await weightDifference(single, pair);
  assert.ok(difference < 1e-6, `2 ranks differ from 1 process by ${difference}`);
  const control = await weightDifference(single, half);
  assert.ok(control > 1e-3, `the batch-4 control differs by only ${control}: the comparison cannot tell`);
});

const captionerYaml = (dataset: string, steps: number): string => `recipe: captioner
dataset: ${dataset}
seed: 3
model: { imageSize: 32, encoderChannels: 8, featureDim: 32, embeddingDim: 16, hiddenSize: 64, dropout: 0 }
training: { steps: ${steps}, batchSize: 8, lr: 0.005, warmupSteps: 2, trainLimit: 32, sampleEvery: 1000, checkpointEvery: 2, logEvery: 1 }
decoding: { beam: 1, maxLength: 8 }
`;

function mmgen(args: string[], timeoutMs = 60_000): { status: number | null; stderr: string; seconds: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['bin/mmgen.js', ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, stderr: String(result.stderr), seconds: (performance.now() - started) / 1000 };
}

function exited(child: ChildProcess): Promise<{ code: number | null; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve) =>
    child.once('exit', (code) => resolve({ code, seconds: (performance.now() - started) / 1000 })),
  );
}

test('a rank killed mid-run stops the other with an error naming it; the last checkpoint loads; resume needs the same world size', async () => {
  const config = join(data.root, 'captioner.yaml');
  await writeFile(config, captionerYaml(data.dir, 100_000));
  const runDir = join(data.root, 'killed');
  const port = await freeLoopbackPort();
  const rank = (r: number): ChildProcess =>
    spawn(
      process.execPath,
      [
        'bin/mmgen.js',
        'train',
        config,
        '--out',
        runDir,
        '--rank',
        String(r),
        '--world-size',
        '2',
        '--master',
        `127.0.0.1:${port}`,
        '--timeout',
        '30',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  const survivor = rank(0);
  const victim = rank(1);
  let stderr = '';
  survivor.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const checkpoints = join(runDir, 'checkpoints');
  const deadline = Date.now() + 60_000;
  // any checkpoint at step 4 or later: older ones are pruned as training goes on, so one step's may be gone already
  const reachedStep4 = async (): Promise<boolean> =>
    existsSync(checkpoints) &&
    (await readdir(checkpoints)).some((name) => Number(/^step-(\d+)$/.exec(name)?.[1] ?? 0) >= 4);
  while (!(await reachedStep4())) {
    assert.ok(Date.now() < deadline, `no checkpoint after 60 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const survivorExit = exited(survivor);
  victim.kill('SIGKILL');
  const outcome = await survivorExit;
  assert.notEqual(outcome.code, 0);
  // detection is at the next collective (the peer's socket closes); then 3 s for survivors to check in
  assert.ok(outcome.seconds < 15, `rank 0 took ${outcome.seconds.toFixed(1)} s to stop`);
  assert.match(stderr, /rank 0 of 2: data-parallel training stopped because rank 1 stopped answering/);
  const payload = await readCheckpoint(runDir);
  try {
    assert.ok(payload.state.step >= 4);
    assert.equal(payload.state.worldSize, 2);
    assert.ok(payload.model.size > 0);
  } finally {
    dispose([...payload.model.values(), ...payload.trainer.values()]);
  }
  const alone = mmgen(['train', '--resume', runDir, '--set', `training.steps=${payload.state.step + 2}`]);
  assert.equal(alone.status, 1);
  assert.match(alone.stderr, /was trained with 2 process\(es\); resume it with --workers 2 .*not with 1/);
  const resumed = mmgen([
    'train',
    '--resume',
    runDir,
    '--workers',
    '2',
    '--set',
    `training.steps=${payload.state.step + 2}`,
  ]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(
    await readCheckpoint(runDir).then((read) => {
      dispose([...read.model.values(), ...read.trainer.values()]);
      return read.state.step;
    }),
    payload.state.step + 2,
  );
});

test('bad flags are clear errors: --workers 0, a rank outside the world, an unreachable master, mixed modes', async () => {
  const config = join(data.root, 'captioner-flags.yaml');
  await writeFile(config, captionerYaml(data.dir, 2));
  const out = join(data.root, 'flags');
  const zero = mmgen(['train', config, '--out', out, '--workers', '0']);
  assert.equal(zero.status, 1);
  assert.match(zero.stderr, /--workers must be a whole number >= 1, got "0"/);
  const outside = mmgen([
    'train',
    config,
    '--out',
    out,
    '--rank',
    '2',
    '--world-size',
    '2',
    '--master',
    '127.0.0.1:29500',
  ]);
  assert.equal(outside.status, 1);
  assert.match(outside.stderr, /--rank 2 is out of range for --world-size 2; ranks are 0\.\.1/);
  const mixed = mmgen(['train', config, '--out', out, '--workers', '2', '--rank', '0']);
  assert.match(mixed.stderr, /give either --workers N or --rank R --world-size W --master HOST:PORT/);
  const badMaster = mmgen(['train', config, '--out', out, '--rank', '1', '--world-size', '2', '--master', 'nowhere']);
  assert.match(badMaster.stderr, /--master must be HOST:PORT/);
  const port = await freeLoopbackPort();
  const unreachable = mmgen([
    'train',
    config,
    '--out',
    out,
    '--rank',
    '1',
    '--world-size',
    '2',
    '--master',
    `127.0.0.1:${port}`,
    '--timeout',
    '2',
  ]);
  assert.equal(unreachable.status, 1);
  assert.match(
    unreachable.stderr,
    new RegExp(`rank 1 of 2 could not reach the master 127\\.0\\.0\\.1:${port} within 2 s`),
  );
  assert.ok(unreachable.seconds < 20, `giving up took ${unreachable.seconds.toFixed(1)} s`);
  assert.ok(!existsSync(join(out, 'checkpoints')));
});
