import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/tensor/index.js';
import {
  SGD,
  LRScheduler,
  constantSchedule,
  linearWarmup,
  linearDecay,
  cosineSchedule,
} from '../../src/optim/index.js';
import { assertClose, withoutLeaks } from './helpers.js';

const at = (schedule: (step: number) => number, steps: number[]): number[] => steps.map(schedule);

test('constant and linear warmup schedules', () => {
  assert.deepEqual(at(constantSchedule(), [0, 1, 1000]), [1, 1, 1]);
  // step / warmupSteps while warming up, then 1
  assert.deepEqual(at(linearWarmup(4), [0, 1, 2, 3, 4, 5, 100]), [0, 0.25, 0.5, 0.75, 1, 1, 1]);
  assert.deepEqual(at(linearWarmup(0), [0, 3]), [1, 1]);
  assert.throws(() => linearWarmup(-1), /warmupSteps must be an integer >= 0/);
});

test('linear decay: 1, then a straight line over the last steps down to 1 / decaySteps, never 0', () => {
  // 10 steps (0…9), the last 4 decay: (10 - step) / 4
  assert.deepEqual(
    at(linearDecay({ totalSteps: 10, decaySteps: 4 }), [0, 5, 6, 7, 8, 9, 10, 50]),
    [1, 1, 1, 0.75, 0.5, 0.25, 0.25, 0.25],
  );
  assert.deepEqual(at(linearDecay({ totalSteps: 10, decaySteps: 0 }), [0, 9]), [1, 1]);
  // longer than the run: the decay has begun at step 0
  assert.deepEqual(at(linearDecay({ totalSteps: 2, decaySteps: 4 }), [0, 1]), [0.5, 0.25]);
  assert.throws(() => linearDecay({ totalSteps: 10, decaySteps: -1 }), /decaySteps must be an integer >= 0/);
});

test('cosine schedule with warmup and a minimum factor follows the formula', () => {
  const schedule = cosineSchedule({ totalSteps: 10, warmupSteps: 2, minFactor: 0.1 });
  // warmup: step / 2; then 0.1 + 0.9 * 0.5 * (1 + cos(pi * (step - 2) / 8)); 0.1 from step 10 on
  const cosine = (step: number): number => 0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * (step - 2)) / 8));
  assertClose(
    at(schedule, [0, 1, 2, 3, 4, 6, 9, 10, 11, 50]),
    [0, 0.5, 1, cosine(3), 0.8681980515339464, 0.55, cosine(9), 0.1, 0.1, 0.1],
    1e-15,
  );
  // hand values: cos(pi/4) = 0.70710678..., so step 4 is 0.1 + 0.45 * 1.70710678 = 0.86819805
  assert.ok(Math.abs((schedule(4) ?? 0) - 0.868198) < 1e-6);
  const plain = cosineSchedule({ totalSteps: 4 });
  assertClose(at(plain, [0, 1, 2, 3, 4, 5]), [1, 0.8535533905932737, 0.5, 0.14644660940672627, 0, 0], 1e-15);
  assert.throws(() => cosineSchedule({ totalSteps: 5, warmupSteps: 6 }), /must not exceed totalSteps/);
  assert.throws(() => cosineSchedule({ totalSteps: 5, minFactor: 2 }), /minFactor must be in \[0, 1\]/);
});

test('LRScheduler sets the optimizer lr per step and restores from its state', () =>
  withoutLeaks(() => {
    const param = tensor([1.0]).requiresGrad_();
    const optimizer = new SGD([param], { lr: 0.2 });
    const scheduler = new LRScheduler(optimizer, linearWarmup(4));
    const seen = [optimizer.lr];
    for (let step = 0; step < 5; step++) {
      scheduler.step();
      seen.push(optimizer.lr);
    }
    assertClose(seen, [0, 0.05, 0.1, 0.15, 0.2, 0.2], 1e-15);
    assert.equal(scheduler.stepCount, 5);
    assert.deepEqual(scheduler.stateDict(), { step: 5, baseLr: 0.2 });

    // A fresh scheduler on an optimizer built with another lr continues where the saved one stopped.
    const resumed = new SGD([param], { lr: 99 });
    const second = new LRScheduler(resumed, cosineSchedule({ totalSteps: 10, warmupSteps: 2 }));
    assert.equal(resumed.lr, 0);
    second.loadStateDict({ step: '3', baseLr: '0.2' });
    assert.equal(second.baseLr, 0.2);
    assertClose([resumed.lr], [0.2 * 0.5 * (1 + Math.cos(Math.PI / 8))], 1e-15);
    assert.throws(() => second.loadStateDict({ step: -1, baseLr: 0.2 }), /step must be a non-negative integer/);
    assert.throws(() => new LRScheduler(resumed, () => Number.NaN), /schedule gave factor NaN at step 0/);
    optimizer.dispose();
    resumed.dispose();
    param.dispose();
  }));
