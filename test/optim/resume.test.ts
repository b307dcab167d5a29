import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, randn, tensor, tidy, type Tensor } from '../../src/tensor/index.js';
import { loadSafetensors, saveSafetensors } from '../../src/tensor/safetensors.js';
import { Adam, AdamW, SGD, LRScheduler, cosineSchedule, type Optimizer } from '../../src/optim/index.js';
import { withoutLeaks } from './helpers.js';

type Kind = 'Adam' | 'AdamW' | 'SGD';

function makeOptimizer(kind: Kind, params: Tensor[], lr: number): Optimizer {
  if (kind === 'Adam') return new Adam(params, { lr, weightDecay: 0.01 });
  if (kind === 'AdamW') return new AdamW(params, { lr, betas: [0.5, 0.9] });
  return new SGD(params, { lr, momentum: 0.9, nesterov: true, weightDecay: 1e-3 });
}

function initialParameters(): Tensor[] {
  const generator = new Generator(7);
  const params = [randn([4, 3], { generator }), randn([3], { generator })].map((value) => value.requiresGrad_());
  generator.dispose();
  return params;
}

/** One training step on batch `step` (data drawn from a generator seeded by the step, so runs can split anywhere). */
function trainStep(step: number, params: Tensor[], optimizer: Optimizer, scheduler: LRScheduler): void {
  const [weight, bias] = params as [Tensor, Tensor];
  optimizer.zeroGrad();
  tidy(() => {
    const generator = new Generator(100 + step);
    const x = randn([5, 4], { generator });
    generator.dispose();
    x.matmul(weight).add(bias).tanh().sub(0.5).square().mean().backward();
  });
  optimizer.step();
  scheduler.step();
}

const schedule = cosineSchedule({ totalSteps: 10, warmupSteps: 3, minFactor: 0.2 });

for (const kind of ['Adam', 'AdamW', 'SGD'] as const) {
  test(`${kind}: 5 steps, save, load into a new optimizer, 5 more steps equals 10 uninterrupted steps bit for bit`, () =>
    withoutLeaks(async () => {
      const straight = initialParameters();
      const straightOptimizer = makeOptimizer(kind, straight, 0.05);
      const straightScheduler = new LRScheduler(straightOptimizer, schedule);
      for (let step = 0; step < 10; step++) trainStep(step, straight, straightOptimizer, straightScheduler);

      const directory = mkdtempSync(join(tmpdir(), 'mmgen-optim-'));
      try {
        const first = initialParameters();
        const firstOptimizer = makeOptimizer(kind, first, 0.05);
        const firstScheduler = new LRScheduler(firstOptimizer, schedule);
        for (let step = 0; step < 5; step++) trainStep(step, first, firstOptimizer, firstScheduler);
        await firstOptimizer.save(join(directory, 'optimizer.safetensors'));
        await saveSafetensors(join(directory, 'params.safetensors'), {
          weight: first[0] as Tensor,
          bias: first[1] as Tensor,
        });
        const schedulerState = JSON.stringify(firstScheduler.stateDict());
        firstOptimizer.dispose();
        for (const value of first) value.dispose();

        // A fresh process would do this: new parameters and optimizer (deliberately another lr), then load.
        const { tensors } = await loadSafetensors(join(directory, 'params.safetensors'));
        const resumed = [tensors.get('weight') as Tensor, tensors.get('bias') as Tensor].map((value) =>
          value.requiresGrad_(),
        );
        const resumedOptimizer = makeOptimizer(kind, resumed, 123);
        const resumedScheduler = new LRScheduler(resumedOptimizer, schedule);
        await resumedOptimizer.load(join(directory, 'optimizer.safetensors'));
        resumedScheduler.loadStateDict(JSON.parse(schedulerState) as { step: number; baseLr: number });
        assert.equal(resumedOptimizer.stepCount, 5);
        assert.equal(resumedOptimizer.lr, 0.05 * (schedule(5) ?? NaN));
        for (let step = 5; step < 10; step++) trainStep(step, resumed, resumedOptimizer, resumedScheduler);

        assert.equal(resumedOptimizer.stepCount, 10);
        assert.equal(resumedOptimizer.lr, straightOptimizer.lr);
        straight.forEach((value, index) =>
          assert.deepEqual(resumed[index]?.dataSync(), value.dataSync(), `parameter ${index}`),
        );
        // and the run really moved the parameters
        const initial = initialParameters();
        assert.notDeepEqual(initial[0]?.dataSync(), straight[0]?.dataSync());
        for (const value of initial) value.dispose();

        resumedOptimizer.zeroGrad();
        resumedOptimizer.dispose();
        for (const value of resumed) value.dispose();
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
      straightOptimizer.zeroGrad();
      straightOptimizer.dispose();
      for (const value of straight) value.dispose();
    }));
}

test('loading a mismatched optimizer state fails clearly and changes nothing', () =>
  withoutLeaks(async () => {
    const params = initialParameters();
    const adam = new Adam(params, { lr: 0.01 });
    const other = new Generator(3);
    tidy(() =>
      params[0]
        ?.mul(randn([4, 3], { generator: other }))
        .sum()
        .add(params[1]?.sum() ?? 0)
        .backward(),
    );
    other.dispose();
    adam.step();
    const state = adam.stateDict();

    const sgd = new SGD(params, { lr: 0.1, momentum: 0.9 });
    assert.throws(() => sgd.loadStateDict(state), /the state was saved by an Adam optimizer, not SGD/);
    const single = new Adam([params[0] as Tensor]);
    assert.throws(() => single.loadStateDict(state), /the state has 2 parameters but this optimizer has 1/);
    const swapped = new Adam([params[1] as Tensor, params[0] as Tensor], { lr: 0.5 });
    assert.throws(
      () => swapped.loadStateDict(state),
      /state tensor "0.exp_avg" is float32 \[4, 3\] but parameter 0 is float32 \[3\]/,
    );
    assert.equal(swapped.lr, 0.5);
    assert.equal(swapped.stateDict().tensors.size, 0);
    const stray = new Map(state.tensors);
    const extra = tensor([1.0]);
    stray.set('0.momentum', extra);
    assert.throws(
      () => adam.loadStateDict({ tensors: stray, meta: state.meta }),
      /unexpected state tensor "0.momentum"/,
    );
    extra.dispose();
    assert.throws(
      () => adam.loadStateDict({ tensors: state.tensors, meta: { ...state.meta, lr: 'fast' } }),
      /state meta "lr" is missing or not a number/,
    );

    const directory = mkdtempSync(join(tmpdir(), 'mmgen-optim-'));
    try {
      await assert.rejects(adam.load(join(directory, 'missing.safetensors')), /safetensors file not found/);
      writeFileSync(join(directory, 'broken.safetensors'), 'not a safetensors file');
      await assert.rejects(adam.load(join(directory, 'broken.safetensors')), /broken\.safetensors/);
      await sgd.save(join(directory, 'sgd.safetensors'));
      await assert.rejects(
        adam.load(join(directory, 'sgd.safetensors')),
        /cannot load optimizer state from .*sgd\.safetensors: .*the state was saved by an SGD optimizer, not Adam/,
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }

    // A state loaded into a fresh optimizer is a copy: stepping one leaves the other's state alone.
    const copy = new Adam(params, { lr: 0.01 });
    copy.loadStateDict(state);
    assert.notEqual(copy.stateDict().tensors.get('0.exp_avg'), state.tensors.get('0.exp_avg'));
    assert.deepEqual(copy.stateDict().tensors.get('0.exp_avg')?.dataSync(), state.tensors.get('0.exp_avg')?.dataSync());
    assert.equal(copy.stateDict().meta.steps, '1,1');

    for (const optimizer of [adam, sgd, single, swapped, copy]) optimizer.dispose();
    for (const value of params) {
      value.grad = null;
      value.dispose();
    }
  }));
