// Learning-rate schedules as functions step -> factor of the base learning rate, and LRScheduler,
// which applies one to an optimizer like torch.optim.lr_scheduler.LambdaLR: the factor for step 0 is
// applied at construction, and each step() after optimizer.step() moves to the next step.
// Warmup and cosine follow Hugging Face's get_*_schedule_with_warmup (factor 0 at step 0).

/** step (0-based count of optimizer steps taken) -> multiplier of the base learning rate. */
export type Schedule = (step: number) => number;

function checkSteps(value: number, name: string, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum)
    throw new Error(`${name} must be an integer >= ${minimum}, got ${value}`);
  return value;
}

/** Factor 1 at every step. */
export function constantSchedule(): Schedule {
  return () => 1;
}

/** step / warmupSteps while step < warmupSteps, then 1. */
export function linearWarmup(warmupSteps: number): Schedule {
  checkSteps(warmupSteps, 'linearWarmup warmupSteps', 0);
  return (step) => (step < warmupSteps ? step / warmupSteps : 1);
}

/**
 * 1 until the last decaySteps of totalSteps, then down in a straight line, (totalSteps - step) / decaySteps:
 * 1 / decaySteps at the last step, never 0 (CycleGAN's schedule). decaySteps 0 is constant.
 */
export function linearDecay(options: { totalSteps: number; decaySteps: number }): Schedule {
  const totalSteps = checkSteps(options.totalSteps, 'linearDecay totalSteps', 1);
  const decaySteps = checkSteps(options.decaySteps, 'linearDecay decaySteps', 0);
  if (decaySteps === 0) return constantSchedule();
  return (step) => Math.max(1 / decaySteps, Math.min(1, (totalSteps - step) / decaySteps));
}

/**
 * Linear warmup to 1 over warmupSteps, then half a cosine from 1 down to minFactor at totalSteps, and
 * minFactor after that: minFactor + (1 - minFactor) * 0.5 * (1 + cos(pi * progress)),
 * progress = (step - warmupSteps) / max(1, totalSteps - warmupSteps).
 */
export function cosineSchedule(options: { totalSteps: number; warmupSteps?: number; minFactor?: number }): Schedule {
  const totalSteps = checkSteps(options.totalSteps, 'cosineSchedule totalSteps', 1);
  const warmupSteps = checkSteps(options.warmupSteps ?? 0, 'cosineSchedule warmupSteps', 0);
  const minFactor = options.minFactor ?? 0;
  if (warmupSteps > totalSteps)
    throw new Error(`cosineSchedule warmupSteps (${warmupSteps}) must not exceed totalSteps (${totalSteps})`);
  if (!(minFactor >= 0 && minFactor <= 1))
    throw new Error(`cosineSchedule minFactor must be in [0, 1], got ${minFactor}`);
  return (step) => {
    if (step < warmupSteps) return step / warmupSteps;
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

/** Anything with a settable learning rate (every optimizer). */
export interface HasLearningRate {
  lr: number;
}

export interface SchedulerState {
  step: number;
  baseLr: number;
}

/** Sets optimizer.lr = baseLr * schedule(step); call step() once after each optimizer.step(). */
export class LRScheduler {
  /** The optimizer's learning rate when the scheduler was made. */
  baseLr: number;
  private current = 0;

  constructor(
    readonly optimizer: HasLearningRate,
    readonly schedule: Schedule,
  ) {
    this.baseLr = optimizer.lr;
    this.apply();
  }

  /** Optimizer steps taken so far (the step whose factor is in effect). */
  get stepCount(): number {
    return this.current;
  }

  get lr(): number {
    return this.optimizer.lr;
  }

  step(): void {
    this.current += 1;
    this.apply();
  }

  stateDict(): SchedulerState {
    return { step: this.current, baseLr: this.baseLr };
  }

  loadStateDict(state: { step: number | string; baseLr: number | string }): void {
    const step = Number(state.step);
    const baseLr = Number(state.baseLr);
    if (!Number.isInteger(step) || step < 0)
      throw new Error(`LRScheduler state step must be a non-negative integer, got ${JSON.stringify(state.step)}`);
    if (!Number.isFinite(baseLr) || baseLr < 0)
      throw new Error(`LRScheduler state baseLr must be a finite number >= 0, got ${JSON.stringify(state.baseLr)}`);
    this.current = step;
    this.baseLr = baseLr;
    this.apply();
  }

  private apply(): void {
    const factor = this.schedule(this.current);
    if (!Number.isFinite(factor) || factor < 0)
      throw new Error(`schedule gave factor ${factor} at step ${this.current}; it must be a finite number >= 0`);
    this.optimizer.lr = this.baseLr * factor;
  }
}

/**
 * A training stage's learning rate at its step `index` (0-based) of `steps`: `lr`, or with `schedule: cosine` half
 * a cosine down to a tenth of it. A function of the step alone, so a resumed run continues the schedule exactly.
 */
export function stageRate(
  stage: { lr: number; schedule: 'constant' | 'cosine' },
  steps: number,
  index: number,
): number {
  return stage.schedule === 'cosine'
    ? stage.lr * cosineSchedule({ totalSteps: steps, minFactor: 0.1 })(index)
    : stage.lr;
}
