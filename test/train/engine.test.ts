// The training engine: config validation and overrides, checkpoints (keep last K, atomic, resumable),
// abort → checkpoint, and exact resume of a small real model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Linear } from '../../src/nn/index.js';
import { Adam } from '../../src/optim/index.js';
import { F, Generator, manualSeed, memory, randn, tidy } from '../../src/tensor/index.js';
import { ConfigError, applyOverrides, readConfigFile, validateConfig } from '../../src/train/config.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { type TrainingTask, restoreTask, train } from '../../src/train/loop.js';
import { resolveConfig } from '../../src/train/recipes.js';

const root = await mkdtemp(join(tmpdir(), 'mmgen-engine-'));
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('overrides set nested values with JSON parsing; validation names bad keys and allowed values', async () => {
  const schema = z.strictObject({
    mode: z.enum(['fast', 'slow']),
    training: z.strictObject({ steps: z.number().int(), name: z.string() }),
  });
  const config = applyOverrides({ mode: 'fast', training: { steps: 1, name: 'a' } }, [
    'training.steps=500',
    'training.name=run one',
  ]);
  assert.deepEqual(config, { mode: 'fast', training: { steps: 500, name: 'run one' } });
  assert.throws(
    () => validateConfig(schema, { ...config, mode: 'medium' }),
    (error: Error) => error instanceof ConfigError && /"mode" must be one of "fast", "slow"/.test(error.message),
  );
  assert.throws(
    () => validateConfig(schema, applyOverrides(config, ['training.stepz=3'])),
    /unknown key "training.stepz"/,
  );
  assert.throws(() => validateConfig(schema, applyOverrides(config, ['training.steps="many"'])), /"training.steps"/);
  assert.throws(() => applyOverrides(config, ['steps']), /key=value/);
  assert.throws(
    () => resolveConfig({ recipe: 'text2sound' }, 'x.yaml'),
    /"recipe" must be one of "text2image-gan", "text2image-vae"/,
  );
  await writeFile(join(root, 'bad.yaml'), 'recipe: [unclosed');
  await assert.rejects(readConfigFile(join(root, 'bad.yaml')), /not valid YAML/);
  await assert.rejects(readConfigFile(join(root, 'missing.yaml')), /no such file/);
});

/** A real tiny regression task: Linear(3 → 1) fitting y = sum(x) on seeded batches. */
function regressionTask(seed: number, lr = 0.05): { task: TrainingTask; dispose(): void; weights(): number[] } {
  manualSeed(seed); // seeded initialisation
  const model = new Linear(3, 1);
  const optimizer = new Adam(model, { lr });
  const data = new Generator(seed);
  const task: TrainingTask = {
    modules: { model },
    optimizers: { adam: optimizer },
    generators: { data },
    step: () =>
      tidy(() => {
        const x = randn([16, 3], { generator: data });
        const loss = F.mseLoss(model.forward(x), x.sum(1, true));
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        return { loss: loss.item() };
      }),
  };
  return {
    task,
    weights: () => model.parameters().flatMap((p) => p.toFlatArray()),
    dispose: () => {
      model.dispose();
      optimizer.dispose();
      data.dispose();
    },
  };
}

test('the loop keeps the last K checkpoints, writes metrics, and the loss falls', async () => {
  const before = memory().tensors;
  const runDir = join(root, 'keep');
  const run = regressionTask(1);
  const losses: number[] = [];
  await train(run.task, {
    runDir,
    totalSteps: 60,
    seed: 1,
    config: { recipe: 'test' },
    checkpointEvery: 10,
    keepLast: 2,
    onEvent: (event) => event.type === 'step' && losses.push(event.losses.loss ?? 0),
  });
  assert.deepEqual(await listCheckpoints(runDir), ['step-0000050', 'step-0000060']);
  assert.ok((losses[59] ?? 1) < (losses[0] ?? 0) * 0.2, `loss falls: ${losses[0]} → ${losses[59]}`);
  const metrics = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n');
  assert.equal(metrics.length, 60);
  assert.equal(JSON.parse(metrics[59] ?? '{}').step, 60);
  const files = await readdir(runDir);
  assert.ok(!files.some((name) => name.includes('.tmp')), `no temporary files left: ${files.join(', ')}`);
  run.dispose();
  assert.equal(memory().tensors, before);
});

test('an abort writes a checkpoint; resuming gives the weights of an uninterrupted run and records its settings', async () => {
  const before = memory().tensors;
  const straight = regressionTask(2);
  await train(straight.task, { runDir: join(root, 'straight'), totalSteps: 20, seed: 2, config: {} });
  const expected = straight.weights();
  straight.dispose();

  const controller = new AbortController();
  const first = regressionTask(2);
  const result = await train(first.task, {
    runDir: join(root, 'aborted'),
    totalSteps: 20,
    seed: 2,
    config: {},
    signal: controller.signal,
    onEvent: (event) => event.type === 'step' && event.step === 7 && controller.abort(),
  });
  assert.equal(result.interrupted, true);
  assert.equal(result.step, 7);
  first.dispose();
  const second = regressionTask(99); // different init and data seed: the checkpoint must win
  const resumed = await train(second.task, {
    runDir: join(root, 'aborted'),
    totalSteps: 20,
    seed: 2,
    config: { steps: 20 },
    resume: true,
  });
  assert.equal(resumed.step, 20);
  const recorded = JSON.parse(await readFile(join(root, 'aborted', 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(recorded.steps, 20, 'a resume records its changed settings in config.json');
  assert.deepEqual(second.weights(), expected);
  second.dispose();
  // the checkpoint brings Adam's moments, but a learning rate changed for the resume (--set) is kept
  const slower = regressionTask(99, 0.01);
  assert.equal(await restoreTask(slower.task, join(root, 'aborted')), 20);
  assert.equal(slower.task.optimizers.adam?.lr, 0.01);
  assert.equal(
    slower.task.optimizers.adam?.stateDict().meta.stepCount,
    20,
    'the moments and step count come from the checkpoint',
  );
  slower.dispose();
  assert.equal(memory().tensors, before);
});

test('a time limit ends training with a final checkpoint at the first step past it; resume goes on to the total', async () => {
  const before = memory().tensors;
  const runDir = join(root, 'time-limited');
  const run = regressionTask(4);
  // each step takes ≥ 30 ms here, so a 0.1 s budget ends a 1000-step run within a handful of steps
  const slow: TrainingTask = {
    ...run.task,
    step: async (step) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return run.task.step(step);
    },
  };
  let done: { step: number; timeLimited?: boolean } | undefined;
  const result = await train(slow, {
    runDir,
    totalSteps: 1000,
    seed: 4,
    config: {},
    timeLimitSeconds: 0.1,
    onEvent: (event) => {
      if (event.type === 'done') done = event;
    },
  });
  assert.equal(result.timeLimited, true);
  assert.ok(result.step >= 3 && result.step < 20, `stopped after a few steps, at ${result.step}`);
  assert.equal(done?.timeLimited, true);
  assert.deepEqual(await listCheckpoints(runDir), [`step-${String(result.step).padStart(7, '0')}`]);
  run.dispose();
  const resumed = regressionTask(4);
  const finished = await train(resumed.task, {
    runDir,
    totalSteps: result.step + 5,
    seed: 4,
    config: {},
    resume: true,
  });
  assert.equal(finished.step, result.step + 5);
  assert.equal(finished.timeLimited, undefined);
  resumed.dispose();
  assert.equal(memory().tensors, before);
});

test('resuming a folder without checkpoints is a clear error', async () => {
  const run = regressionTask(3);
  await assert.rejects(
    train(run.task, { runDir: join(root, 'empty'), totalSteps: 5, seed: 0, config: {}, resume: true }),
    /no checkpoint to resume from/,
  );
  run.dispose();
});
