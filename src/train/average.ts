// Checkpoint averaging: the mean of the EMA weights (ema.*) over a run's kept checkpoints, written as a
// generation-only run folder (config, tokenizer, model.safetensors). It is a longer, flat average than the
// EMA's own: late in a GAN run the generator still wanders from checkpoint to checkpoint, and FID with it
// (Fashion-MNIST: 1.06 / 0.96 / 1.02 at one checkpoint, 1.15 / 1.11 / 1.16 at the last; the average of the
// last nine gave 1.06 / 0.99 / 1.03).
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../data/files.js';
import { join, resolve } from 'node:path';
import { type Tensor, dispose, tidy } from '../tensor/index.js';
import { loadSafetensors, saveSafetensors } from '../tensor/safetensors.js';
import { listCheckpoints } from './checkpoint.js';

export interface AverageOptions {
  /** First checkpoint step to include (default: all kept checkpoints). */
  fromStep?: number;
}

export interface AverageResult {
  steps: number[];
  /** Tensors averaged (the EMA weights); the rest come from the newest checkpoint. */
  averaged: number;
}

const stepOf = (name: string): number => Number(name.slice('step-'.length));

/** Averages the EMA weights of RUN's checkpoints at or after fromStep into the new folder `out`. */
export async function averageCheckpoints(
  runDir: string,
  out: string,
  options: AverageOptions = {},
): Promise<AverageResult> {
  if (!existsSync(join(runDir, 'config.json')))
    throw new Error(`${runDir} is not a run folder (no config.json); give the folder \`mmgen train\` wrote`);
  if (resolve(out) === resolve(runDir))
    throw new Error('--out must be a new folder: averaging never overwrites the run it reads');
  const fromStep = options.fromStep ?? 0;
  const kept = await listCheckpoints(runDir);
  const chosen = kept.filter((name) => stepOf(name) >= fromStep);
  if (chosen.length < 2) {
    const available = kept.map(stepOf).join(', ') || 'none';
    throw new Error(
      `averaging needs at least 2 checkpoints at or after step ${fromStep} in ${runDir} (kept: ${available}); lower --from, or train with a larger training.keepLast`,
    );
  }
  const sums = new Map<string, Tensor>();
  let newest: Map<string, Tensor> | undefined;
  try {
    for (const name of chosen) {
      const { tensors } = await loadSafetensors(join(runDir, 'checkpoints', name, 'model.safetensors'));
      for (const [key, value] of tensors) {
        if (!key.startsWith('ema.') || !value.dtype.startsWith('float')) continue;
        const previous = sums.get(key);
        sums.set(key, previous ? tidy(() => previous.add(value)) : value.clone());
        previous?.dispose();
      }
      if (newest) dispose([...newest.values()]);
      newest = tensors;
    }
    if (sums.size === 0) throw new Error(`${runDir}'s checkpoints hold no EMA weights (ema.*) to average`);
    const averages = new Map([...sums].map(([key, sum]) => [key, tidy(() => sum.div(chosen.length))]));
    try {
      await mkdir(out, { recursive: true });
      // a text→audio run's measured output gain goes along: averaged weights draw at nearly the same level
      for (const file of ['config.json', 'tokenizer.json', 'audio-level.json'].filter((name) =>
        existsSync(join(runDir, name)),
      )) {
        await writeFileAtomic(join(out, file), await readFile(join(runDir, file)));
      }
      await saveSafetensors(join(out, 'model.safetensors'), new Map([...(newest ?? []), ...averages]));
    } finally {
      dispose([...averages.values()]);
    }
    const steps = chosen.map(stepOf);
    await writeFileAtomic(
      join(out, 'averaged.json'),
      `${JSON.stringify({ averagedFrom: resolve(runDir), steps, createdAt: new Date().toISOString() }, null, 2)}\n`,
    );
    return { steps, averaged: sums.size };
  } finally {
    dispose([...sums.values()]);
    if (newest) dispose([...newest.values()]);
  }
}
