// Exporting a run for inference: the weights generation reads (each EMA copy stands in for its trained twin),
// optionally in half precision or 8-bit weights, and the run's small files (config, tokenizer, eval, audio level, latent
// mixture). No optimizer state, checkpoints or samples: it is what a demo ships or a server loads, not a run
// to resume. Written to a temporary folder and renamed, so a crash never leaves half an export.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dispose } from '../tensor/index.js';
import { loadSafetensors, saveSafetensors } from '../tensor/safetensors.js';

export interface ExportOptions {
  /** Store float32 weights as IEEE half (F16); they load back as float32. */
  half?: boolean;
  /** Store weight matrices and kernels as int8 with a float32 scale per row; they load back as float32. */
  int8?: boolean;
}

export interface ExportResult {
  tensors: number;
  /** Trained weights left out because their EMA copy is kept. */
  dropped: number;
  bytes: number;
  files: string[];
}

// training-only state; everything else at the top level of a run goes along
const TRAINING_ONLY = new Set(['model.safetensors', 'trainer.safetensors', 'state.json']);

/** Writes the inference part of `runDir` into the new folder `out`. */
export async function exportRun(runDir: string, out: string, options: ExportOptions = {}): Promise<ExportResult> {
  if (!existsSync(join(runDir, 'config.json')) || !existsSync(join(runDir, 'model.safetensors'))) {
    throw new Error(
      `${runDir} is not a trained run (no config.json and model.safetensors); give the folder \`mmgen train\` wrote`,
    );
  }
  if (resolve(out) === resolve(runDir))
    throw new Error('--out must be a new folder: export never overwrites the run it reads');
  if (existsSync(out) && (await readdir(out)).length > 0)
    throw new Error(`--out ${out} already holds files; give a new or empty folder`);
  const { tensors, metadata } = await loadSafetensors(join(runDir, 'model.safetensors'));
  const half = options.half === true;
  const int8 = options.int8 === true;
  const temporary = `${resolve(out)}.tmp-${process.pid}`;
  try {
    const kept = new Map([...tensors].filter(([name]) => !tensors.has(`ema.${name}`)));
    await rm(temporary, { recursive: true, force: true });
    await mkdir(temporary, { recursive: true });
    await saveSafetensors(
      join(temporary, 'model.safetensors'),
      kept,
      { ...metadata, exportedFrom: resolve(runDir), half: String(half), int8: String(int8) },
      { half, int8 },
    );
    const files: string[] = [];
    for (const name of (await readdir(runDir)).sort()) {
      if (TRAINING_ONLY.has(name) || name.includes('.tmp-') || !(await stat(join(runDir, name))).isFile()) continue;
      await copyFile(join(runDir, name), join(temporary, name));
      files.push(name);
    }
    await writeFile(
      join(temporary, 'exported.json'),
      `${JSON.stringify({ exportedFrom: resolve(runDir), half, int8, createdAt: new Date().toISOString() }, null, 2)}\n`,
    );
    await rm(out, { recursive: true, force: true });
    await rename(temporary, out);
    const bytes = (await stat(join(out, 'model.safetensors'))).size;
    return {
      tensors: kept.size,
      dropped: tensors.size - kept.size,
      bytes,
      files: ['model.safetensors', ...files, 'exported.json'],
    };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  } finally {
    dispose([...tensors.values()]);
  }
}
