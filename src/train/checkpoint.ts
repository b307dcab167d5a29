// Run-folder checkpoints. A checkpoint is a folder checkpoints/step-NNNNNNN/ holding model.safetensors
// (module weights and EMA weights), trainer.safetensors (optimiser moments, RNG states) and state.json
// (step, optimiser meta, data cursor). It is written under a temporary name and renamed, so a crash
// never leaves a half checkpoint; the root of the run folder gets copies of the newest one.
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../tensor/index.js';
import { loadSafetensors, saveSafetensors } from '../tensor/safetensors.js';

export interface CheckpointState {
  step: number;
  totalSteps: number;
  optimizerMeta: Record<string, Record<string, number | string>>;
  cursor: unknown;
  savedAt: string;
  mmgenVersion: string;
  /** Processes the run was trained with (absent: 1); a resume must use as many. */
  worldSize?: number;
}

export interface CheckpointPayload {
  model: Map<string, Tensor>;
  trainer: Map<string, Tensor>;
  state: CheckpointState;
}

const STEP_DIGITS = 7;
export const checkpointName = (step: number): string => `step-${String(step).padStart(STEP_DIGITS, '0')}`;

async function copyAtomic(source: string, target: string): Promise<void> {
  const temporary = `${target}.tmp-${process.pid}`;
  await copyFile(source, temporary);
  await rename(temporary, target);
}

/** Writes a checkpoint folder atomically, mirrors it to the run root, and keeps only the newest keepLast. */
export async function writeCheckpoint(runDir: string, payload: CheckpointPayload, keepLast: number): Promise<string> {
  const folder = join(runDir, 'checkpoints');
  await mkdir(folder, { recursive: true });
  const name = checkpointName(payload.state.step);
  const target = join(folder, name);
  const temporary = join(folder, `.${name}.tmp-${process.pid}`);
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary);
  const metadata = { step: String(payload.state.step) };
  await saveSafetensors(join(temporary, 'model.safetensors'), payload.model, metadata);
  await saveSafetensors(join(temporary, 'trainer.safetensors'), payload.trainer, metadata);
  await writeFile(join(temporary, 'state.json'), `${JSON.stringify(payload.state, null, 2)}\n`);
  await rm(target, { recursive: true, force: true });
  await rename(temporary, target);
  // root copies: state.json last, so a reader that sees it finds the matching weights
  await copyAtomic(join(target, 'model.safetensors'), join(runDir, 'model.safetensors'));
  await copyAtomic(join(target, 'trainer.safetensors'), join(runDir, 'trainer.safetensors'));
  await copyAtomic(join(target, 'state.json'), join(runDir, 'state.json'));
  const all = await listCheckpoints(runDir);
  for (const old of all.slice(0, Math.max(0, all.length - keepLast)))
    await rm(join(folder, old), { recursive: true, force: true });
  return target;
}

/** Complete checkpoint folder names, oldest first. */
export async function listCheckpoints(runDir: string): Promise<string[]> {
  const folder = join(runDir, 'checkpoints');
  if (!existsSync(folder)) return [];
  const names = await readdir(folder);
  return names.filter((name) => /^step-\d+$/.test(name) && existsSync(join(folder, name, 'state.json'))).sort();
}

/** Reads the newest complete checkpoint of a run (or a given checkpoint folder). */
export async function readCheckpoint(runDir: string, folder?: string): Promise<CheckpointPayload> {
  let source = folder;
  if (!source) {
    const all = await listCheckpoints(runDir);
    const newest = all[all.length - 1];
    if (newest) source = join(runDir, 'checkpoints', newest);
    else if (existsSync(join(runDir, 'state.json'))) source = runDir;
    else if (existsSync(join(runDir, 'exported.json'))) {
      throw new Error(
        `${runDir} was exported for inference by \`mmgen export\` and keeps no training state; resume the run it was exported from (see ${join(runDir, 'exported.json')})`,
      );
    } else
      throw new Error(
        `${runDir} has no checkpoint to resume from (no checkpoints/step-*/ and no state.json); start a new run with \`mmgen train CONFIG --out ${runDir}\``,
      );
  }
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(join(source, 'state.json'), 'utf8')) as CheckpointState;
  } catch (error) {
    throw new Error(
      `checkpoint ${source} has an unreadable state.json (${(error as Error).message}); remove that folder to fall back to an older checkpoint`,
      { cause: error },
    );
  }
  const model = await loadSafetensors(join(source, 'model.safetensors'));
  const trainer = await loadSafetensors(join(source, 'trainer.safetensors'));
  if (model.metadata.step !== String(state.step) || trainer.metadata.step !== String(state.step)) {
    throw new Error(
      `checkpoint ${source} is inconsistent: state.json says step ${state.step}, weights say ${model.metadata.step}`,
    );
  }
  return { model: model.tensors, trainer: trainer.tensors, state };
}
