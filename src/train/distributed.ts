// The training loop's side of data parallelism: the same start on every rank (rank 0's weights
// broadcast), one agreement per step (stop or go, losses averaged over ranks), per-rank noise, and
// a failure message that names the rank that went away.
import {
  CollectiveError,
  Generator,
  type ProcessGroup,
  type Tensor,
  dispose,
  manualSeed,
  tensor,
} from '../tensor/index.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mixSeed } from '../data/random.js';
import type { TrainingTask } from './loop.js';

const BROADCAST_DTYPES = new Set(['float32', 'float64', 'int64', 'int32', 'uint8']);

/** Every rank starts from rank 0's module weights and EMA weights (buffers included). */
export function broadcastTaskState(task: TrainingTask, group: ProcessGroup): void {
  const tensors: Tensor[] = [];
  for (const module of Object.values(task.modules)) tensors.push(...module.stateDict().values());
  for (const ema of Object.values(task.emas ?? {})) tensors.push(...ema.stateDict().tensors.values());
  group.broadcast(
    tensors.filter((value) => BROADCAST_DTYPES.has(value.dtype)),
    0,
  );
}

const RUNNING_STATISTICS = /(^|\.)(running_mean|running_var|num_batches_tracked)$/;

/**
 * Batch norm's running statistics follow rank 0's after every step (as PyTorch DDP's broadcast_buffers):
 * each rank normalises its own slice in training, but evaluation, samples and checkpoints see one set.
 */
export function broadcastRunningStatistics(task: TrainingTask, group: ProcessGroup): void {
  const tensors: Tensor[] = [];
  for (const module of Object.values(task.modules))
    for (const [name, value] of module.stateDict()) if (RUNNING_STATISTICS.test(name)) tensors.push(value);
  group.broadcast(tensors, 0);
}

/**
 * Rank 0 keeps the run's random streams (the default one and the task's named ones: noise,
 * augmentation); every other rank gets its own, seeded by (seed, rank, step, stream), so the shards
 * of a global batch do not share noise. In mmgen's recipes these streams feed tensors (noise,
 * augmentation, modality subsets), not the number of optimiser steps, so ranks stay in step; a
 * parameter that gets a gradient on some ranks only is handled by synchronizeGradients.
 */
export function seedRank(task: TrainingTask, group: ProcessGroup, seed: number, step: number): void {
  if (group.rank === 0) return;
  manualSeed(mixSeed(seed, group.rank, step));
  const generators = task.generators ?? {};
  Object.keys(generators)
    .sort()
    .forEach((name, index) => {
      const fresh = new Generator(mixSeed(seed, group.rank, step, index + 1));
      const state = fresh.getState();
      try {
        generators[name]?.setState(state);
      } finally {
        state.dispose();
        fresh.dispose();
      }
    });
}

export interface StepAgreement {
  interrupt: boolean;
  timeUp: boolean;
  /** The step's losses averaged over ranks (the global batch's mean for mean losses). */
  losses: Record<string, number>;
}

/** One small all-reduce per step: any rank asking to stop stops all at the same step. */
export function agreeOnStep(
  group: ProcessGroup,
  interrupt: boolean,
  timeUp: boolean,
  losses: Record<string, number>,
): StepAgreement {
  const names = Object.keys(losses);
  const values = tensor(
    Float64Array.from([interrupt ? 1 : 0, timeUp ? 1 : 0, ...names.map((name) => losses[name] ?? 0)]),
  );
  try {
    group.allReduce([values]);
    const summed = values.dataSync() as Float64Array;
    const averaged: Record<string, number> = {};
    names.forEach((name, index) => {
      averaged[name] = (summed[index + 2] ?? 0) / group.worldSize;
    });
    return { interrupt: (summed[0] ?? 0) > 0, timeUp: (summed[1] ?? 0) > 0, losses: averaged };
  } finally {
    dispose(values);
  }
}

/** Refuses to resume a run under another number of processes (its batch shards and noise would differ). */
export function checkWorldSize(saved: number | undefined, worldSize: number, runDir: string): void {
  const recorded = saved ?? 1;
  const now = worldSize;
  if (recorded !== now) {
    const how =
      recorded === 1 ? 'without --workers' : `with --workers ${recorded} (or --world-size ${recorded} across hosts)`;
    throw new Error(`${runDir} was trained with ${recorded} process(es); resume it ${how}, not with ${now}`);
  }
}

/** The world size in a run folder's newest state.json (1 when it records none), or undefined without one. */
export async function recordedWorldSize(runDir: string): Promise<number | undefined> {
  const text = await readFile(join(runDir, 'state.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const state = JSON.parse(text) as { worldSize?: unknown };
  return typeof state.worldSize === 'number' ? state.worldSize : 1;
}

/** Polls the store for up to waitMs for the other ranks' "still here" keys. */
async function ranksStillHere(group: ProcessGroup, waitMs: number): Promise<Set<number>> {
  const deadline = Date.now() + waitMs;
  const here = new Set<number>([group.rank]);
  group.storeSet(`alive/${group.rank}`, String(process.pid));
  for (;;) {
    for (let rank = 0; rank < group.worldSize; rank++)
      if (!here.has(rank) && group.storeHas([`alive/${rank}`])) here.add(rank);
    if (here.size === group.worldSize || Date.now() >= deadline) return here;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Turns a failed collective into an error that names the rank(s) that went away: the survivors
 * check in on rank 0's store; whoever does not within a few seconds is named. If the store itself
 * is gone, rank 0 (its host) is.
 */
export async function explainFailure(group: ProcessGroup, error: unknown, waitMs = 3000): Promise<Error> {
  if (!(error instanceof CollectiveError)) return error instanceof Error ? error : new Error(String(error));
  const prefix = `rank ${group.rank} of ${group.worldSize}: data-parallel training stopped`;
  try {
    const here = await ranksStillHere(group, waitMs);
    const missing = Array.from({ length: group.worldSize }, (_, rank) => rank).filter((rank) => !here.has(rank));
    if (missing.length === 0)
      return new Error(
        `${prefix}: ${error.message} (every rank is still reachable; a peer may have failed with its own error)`,
      );
    return new Error(
      `${prefix} because rank ${missing.join(', rank ')} stopped answering (exited, killed or unreachable): ${error.message}`,
    );
  } catch {
    return new Error(
      `${prefix} because rank 0 (which hosts the store at ${group.master.host}:${group.master.port}) is gone: ${error.message}`,
    );
  }
}
