// The async, seeded training loop. A task supplies its modules, optimisers, EMAs, generators and one
// optimisation step; the loop owns checkpoints (periodic, keep last K, final, on abort), metrics.jsonl,
// sample grids every N steps, progress events and exact resume.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Generator,
  type ProcessGroup,
  type Tensor,
  defaultGeneratorState,
  dispose,
  manualSeed,
  setDefaultGeneratorState,
  withProcessGroup,
} from '../tensor/index.js';
import { writeFileAtomic } from '../data/files.js';
import { StepRate } from '../data/step-rate.js';
import { type CheckpointPayload, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { EventSink } from './events.js';
import {
  agreeOnStep,
  broadcastRunningStatistics,
  broadcastTaskState,
  checkWorldSize,
  explainFailure,
  seedRank,
} from './distributed.js';

export const MMGEN_VERSION = '0.1.0';

export interface StatefulModule {
  stateDict(): Map<string, Tensor>;
  loadStateDict(state: Map<string, Tensor>, options?: { strict?: boolean }): void;
}
export interface StatefulOptimizer {
  stateDict(): { tensors: Map<string, Tensor>; meta: Record<string, number | string> };
  loadStateDict(state: { tensors: Map<string, Tensor>; meta: Record<string, number | string> }): void;
  /** The learning rate, for optimisers that have one (kept from the config when a checkpoint is restored). */
  lr?: number;
}
/** An EMA: its averaged weights go to model.safetensors as ema.<name>.*, its settings to state.json. */
export type StatefulEma = StatefulOptimizer;

export interface TrainingTask {
  modules: Record<string, StatefulModule>;
  optimizers: Record<string, StatefulOptimizer>;
  emas?: Record<string, StatefulEma>;
  /** Generators whose state is part of the run (data shuffling, noise); the default generator is always saved. */
  generators?: Record<string, Generator>;
  /** One optimisation step; returns scalar losses to log. */
  step(step: number): Promise<Record<string, number>> | Record<string, number>;
  /** Writes samples for this step (fixed prompts, fixed noise); must not draw from the default generator. */
  sample?(folder: string, step: number): Promise<string[]>;
  evaluate?(step: number): Promise<Record<string, number>>;
  /** Runs once when training reaches its end (not when interrupted), before the final checkpoint; may return a notice. */
  finish?(step: number): Promise<string | undefined>;
  /** The data cursor, JSON-serialisable, for exact resume. */
  cursor?(): unknown;
  restoreCursor?(cursor: unknown): void;
}

export interface TrainOptions {
  runDir: string;
  totalSteps: number;
  seed: number;
  config: unknown;
  checkpointEvery?: number;
  keepLast?: number;
  sampleEvery?: number;
  evalEvery?: number;
  /** Steps between 'step' events and metrics.jsonl lines. */
  logEvery?: number;
  onEvent?: EventSink;
  signal?: AbortSignal;
  resume?: boolean;
  /** Stop after this step (for tests of resume): writes a checkpoint as if interrupted. */
  stopAfter?: number;
  /** Wall-clock budget of this session: training ends, with its final checkpoint, at the first step past it. */
  timeLimitSeconds?: number;
  /**
   * Data-parallel training: every rank runs this loop; gradients are averaged across ranks and each
   * rank takes its slice of every global batch; only rank 0 writes (checkpoints, samples, metrics).
   */
  processGroup?: ProcessGroup;
}

export interface TrainResult {
  step: number;
  interrupted: boolean;
  runDir: string;
  lastLosses: Record<string, number>;
  /** True when the time limit ended training before totalSteps. */
  timeLimited?: boolean;
}

function collectPayload(task: TrainingTask, step: number, totalSteps: number, worldSize: number): CheckpointPayload {
  const model = new Map<string, Tensor>();
  for (const [name, module] of Object.entries(task.modules))
    for (const [key, value] of module.stateDict()) model.set(`${name}.${key}`, value);
  const trainer = new Map<string, Tensor>();
  const optimizerMeta: Record<string, Record<string, number | string>> = {};
  for (const [name, ema] of Object.entries(task.emas ?? {})) {
    const state = ema.stateDict();
    for (const [key, value] of state.tensors) model.set(`ema.${name}.${key}`, value);
    optimizerMeta[`ema.${name}`] = state.meta;
  }
  for (const [name, optimizer] of Object.entries(task.optimizers)) {
    const state = optimizer.stateDict();
    for (const [key, value] of state.tensors) trainer.set(`optim.${name}.${key}`, value);
    optimizerMeta[name] = state.meta;
  }
  trainer.set('rng.default', defaultGeneratorState());
  for (const [name, generator] of Object.entries(task.generators ?? {}))
    trainer.set(`rng.${name}`, generator.getState());
  const state = {
    step,
    totalSteps,
    optimizerMeta,
    cursor: task.cursor?.() ?? null,
    savedAt: new Date().toISOString(),
    mmgenVersion: MMGEN_VERSION,
    worldSize,
  };
  return { model, trainer, state };
}

function byPrefix(map: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [key, value] of map) if (key.startsWith(prefix)) out.set(key.slice(prefix.length), value);
  return out;
}

/**
 * Loads a checkpoint into the task; returns the step it was taken at. With expectedWorldSize (a resume
 * by the loop), a checkpoint written under another number of processes is refused.
 */
export async function restoreTask(task: TrainingTask, runDir: string, expectedWorldSize?: number): Promise<number> {
  const payload = await readCheckpoint(runDir);
  try {
    if (expectedWorldSize !== undefined) checkWorldSize(payload.state.worldSize, expectedWorldSize, runDir);
    for (const [name, module] of Object.entries(task.modules))
      module.loadStateDict(byPrefix(payload.model, `${name}.`), { strict: true });
    for (const [name, ema] of Object.entries(task.emas ?? {})) {
      ema.loadStateDict({
        tensors: byPrefix(payload.model, `ema.${name}.`),
        meta: payload.state.optimizerMeta[`ema.${name}`] ?? {},
      });
    }
    for (const [name, optimizer] of Object.entries(task.optimizers)) {
      // the checkpoint brings the moments and step counts; the learning rate stays the config's, so
      // `train --resume RUN --set training.generatorLr=…` takes effect (a schedule sets it every step anyway)
      const configuredRate = optimizer.lr;
      optimizer.loadStateDict({
        tensors: byPrefix(payload.trainer, `optim.${name}.`),
        meta: payload.state.optimizerMeta[name] ?? {},
      });
      if (configuredRate !== undefined) optimizer.lr = configuredRate;
    }
    const rng = payload.trainer.get('rng.default');
    if (rng) setDefaultGeneratorState(rng);
    for (const [name, generator] of Object.entries(task.generators ?? {})) {
      const state = payload.trainer.get(`rng.${name}`);
      if (state) generator.setState(state);
    }
    if (payload.state.cursor !== null) task.restoreCursor?.(payload.state.cursor);
  } finally {
    dispose([...payload.model.values(), ...payload.trainer.values()]);
  }
  return payload.state.step;
}

async function saveCheckpoint(task: TrainingTask, options: TrainOptions, step: number): Promise<string> {
  const payload = collectPayload(task, step, options.totalSteps, options.processGroup?.worldSize ?? 1);
  try {
    return await writeCheckpoint(options.runDir, payload, options.keepLast ?? 3);
  } finally {
    // stateDict entries are the live tensors of modules/optimisers; only the RNG snapshots are new
    dispose([...payload.trainer.entries()].filter(([key]) => key.startsWith('rng.')).map(([, value]) => value));
  }
}

/**
 * Writes config.json; a resume rewrites it over the old one's keys, so settings changed with `--set`
 * (more steps, another loss weight) are what the run folder says it was trained with from then on.
 */
export async function recordConfig(runDir: string, config: unknown, resume: boolean): Promise<void> {
  const path = join(runDir, 'config.json');
  const existing = resume ? await readFile(path, 'utf8').catch(() => undefined) : undefined;
  const previous: unknown = existing === undefined ? {} : JSON.parse(existing);
  const recorded = `${JSON.stringify({ ...(previous as object), ...(config as object), mmgenVersion: MMGEN_VERSION }, null, 2)}\n`;
  if (recorded !== existing) await writeFileAtomic(path, recorded);
}

/** Runs (or resumes) training to options.totalSteps. */
export async function train(task: TrainingTask, options: TrainOptions): Promise<TrainResult> {
  const group = options.processGroup;
  if (!group || group.worldSize === 1) return trainSteps(task, options);
  try {
    return await trainSteps(task, options);
  } catch (error) {
    throw await explainFailure(group, error);
  }
}

async function trainSteps(task: TrainingTask, options: TrainOptions): Promise<TrainResult> {
  if ('ema' in task.modules)
    throw new Error('a training task cannot name a module "ema": that prefix holds EMA weights in model.safetensors');
  const emit: EventSink = options.onEvent ?? (() => {});
  const logEvery = options.logEvery ?? 1;
  const group = options.processGroup && options.processGroup.worldSize > 1 ? options.processGroup : undefined;
  // under data parallelism only rank 0 writes the run folder
  const writer = !group || group.rank === 0;
  if (writer) await mkdir(join(options.runDir, 'samples'), { recursive: true });
  let step = 0;
  if (options.resume) step = await restoreTask(task, options.runDir, options.processGroup?.worldSize ?? 1);
  else manualSeed(options.seed);
  if (group) {
    broadcastTaskState(task, group);
    seedRank(task, group, options.seed, step);
  }
  if (writer) await recordConfig(options.runDir, options.config, options.resume ?? false);
  emit({ type: 'start', runDir: options.runDir, step, total: options.totalSteps, resumed: options.resume ?? false });
  const started = performance.now();
  const startStep = step;
  const rate = new StepRate();
  const smoothed: Record<string, number> = {};
  let lastLosses: Record<string, number> = {};
  let pendingMetrics: string[] = [];
  // with a group, every rank stops at the step they agreed on, never on its own clock or signal
  let agreedInterrupt = false;
  let agreedTimeUp = false;
  const flushMetrics = async (): Promise<void> => {
    if (pendingMetrics.length === 0 || !writer) return;
    await appendFile(join(options.runDir, 'metrics.jsonl'), pendingMetrics.join(''));
    pendingMetrics = [];
  };
  const checkpoint = async (at: number): Promise<string> => (writer ? saveCheckpoint(task, options, at) : '');
  while (step < options.totalSteps) {
    if (group ? agreedInterrupt : options.signal?.aborted) {
      await flushMetrics();
      const path = await checkpoint(step);
      emit({ type: 'interrupted', step, path });
      return { step, interrupted: true, runDir: options.runDir, lastLosses };
    }
    step += 1;
    const current = step;
    lastLosses = await withProcessGroup(group, () => task.step(current));
    const timeUp = (): boolean =>
      options.timeLimitSeconds !== undefined && (performance.now() - started) / 1000 >= options.timeLimitSeconds;
    if (group) {
      broadcastRunningStatistics(task, group);
      const agreement = agreeOnStep(group, options.signal?.aborted ?? false, timeUp(), lastLosses);
      lastLosses = agreement.losses;
      agreedInterrupt = agreement.interrupt;
      agreedTimeUp = agreement.timeUp;
    }
    rate.record(step);
    for (const [name, value] of Object.entries(lastLosses))
      smoothed[name] = smoothed[name] === undefined ? value : 0.9 * (smoothed[name] ?? value) + 0.1 * value;
    if (step % logEvery === 0 || step === options.totalSteps) {
      const elapsed = (performance.now() - started) / 1000;
      pendingMetrics.push(`${JSON.stringify({ step, time: Number(elapsed.toFixed(3)), ...lastLosses })}\n`);
      const stepsPerSecond = Number.isFinite(rate.perSecond)
        ? rate.perSecond
        : (step - startStep) / Math.max(elapsed, 1e-9);
      const eta = rate.eta(options.totalSteps);
      emit({
        type: 'step',
        step,
        total: options.totalSteps,
        losses: lastLosses,
        smoothed: { ...smoothed },
        stepsPerSecond,
        ...(eta !== undefined ? { etaSeconds: eta } : {}),
      });
    }
    if (
      writer &&
      task.sample &&
      options.sampleEvery &&
      (step % options.sampleEvery === 0 || step === options.totalSteps)
    ) {
      emit({ type: 'sample', step, files: await task.sample(join(options.runDir, 'samples'), step) });
    }
    if (writer && task.evaluate && options.evalEvery && step % options.evalEvery === 0)
      emit({ type: 'eval', step, metrics: await task.evaluate(step) });
    if (options.checkpointEvery && step % options.checkpointEvery === 0 && step !== options.totalSteps) {
      await flushMetrics();
      if (writer) emit({ type: 'checkpoint', step, path: await checkpoint(step) });
    }
    if (options.stopAfter !== undefined && step >= options.stopAfter && step < options.totalSteps) {
      await flushMetrics();
      const path = await checkpoint(step);
      emit({ type: 'interrupted', step, path });
      return { step, interrupted: true, runDir: options.runDir, lastLosses };
    }
    if (group ? agreedTimeUp : timeUp()) break;
    // yield to the event loop between steps: lets SIGINT and finalizers run, keeps RSS flat
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const timeLimited = step < options.totalSteps;
  // a time-limited run ends with samples of its last step, unless that step already wrote them
  if (writer && timeLimited && task.sample && options.sampleEvery && step % options.sampleEvery !== 0)
    emit({ type: 'sample', step, files: await task.sample(join(options.runDir, 'samples'), step) });
  if (writer && task.finish) {
    const message = await task.finish(step);
    if (message !== undefined) emit({ type: 'notice', step, message });
  }
  await flushMetrics();
  if (writer) emit({ type: 'checkpoint', step, path: await checkpoint(step) });
  emit({
    type: 'done',
    step,
    runDir: options.runDir,
    seconds: (performance.now() - started) / 1000,
    ...(timeLimited ? { timeLimited } : {}),
  });
  return { step, interrupted: false, runDir: options.runDir, lastLosses, ...(timeLimited ? { timeLimited } : {}) };
}
