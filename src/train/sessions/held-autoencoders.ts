// joint-vae over a joint-diffusion run's autoencoders (`model.autoencoders`): that run's config copied into
// this run (so it loads alone), its weights and latent statistics loaded and held, and the training split
// turned into standardised latents once, so each VAE step is a few small matrix products.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchLoader, disposeBatch, type Batch } from '../../data/batches.js';
import type { LoadedSplit } from '../../data/loader.js';
import type { JointDiffusionConfig } from '../../models/joint-diffusion.js';
import { AUTOENCODERS_CONFIG_FILE, jointDiffusionConfigOf } from '../../models/joint-run.js';
import type { JointAutoencoders } from '../../models/joint/autoencoders.js';
import type { JointBatch } from '../../models/joint/objectives.js';
import type { ModalityName } from '../../models/joint/parts.js';
import { withPrefix } from '../../models/run-files.js';
import { type Tensor, cat, dispose } from '../../tensor/index.js';
import { loadSafetensors } from '../../tensor/safetensors.js';
import { writeFileAtomic } from '../../data/files.js';

/**
 * The held autoencoders' config for a run: its own copy when resuming, else the source run's, copied into the
 * run so it loads alone.
 */
export async function heldConfig(runDir: string, source: string, resume: boolean): Promise<JointDiffusionConfig> {
  if (resume && existsSync(join(runDir, AUTOENCODERS_CONFIG_FILE)))
    return jointDiffusionConfigOf(runDir, 'model.autoencoders', AUTOENCODERS_CONFIG_FILE);
  const config = await jointDiffusionConfigOf(source, 'model.autoencoders.run');
  await mkdir(runDir, { recursive: true });
  await writeFileAtomic(join(runDir, AUTOENCODERS_CONFIG_FILE), await readFile(join(source, 'config.json'), 'utf8'));
  return config;
}

/** Loads the source run's autoencoder weights and latent statistics (strictly: every key must fit). */
export async function loadHeldWeights(autoencoders: JointAutoencoders, source: string): Promise<void> {
  const { tensors } = await loadSafetensors(join(source, 'model.safetensors')).catch((error: Error) => {
    throw new Error(
      `model.autoencoders.run: cannot read ${source}/model.safetensors (${error.message}); give a trained joint-diffusion run`,
    );
  });
  try {
    autoencoders.loadStateDict(withPrefix(tensors, 'autoencoders'));
  } finally {
    dispose([...tensors.values()]);
  }
}

/**
 * Every training row as standardised latents [N, M·D] in a split the batch loader serves, with the rows'
 * presence masks. Latent statistics the source run never set (its score network never trained) are set here
 * from these rows.
 */
export function latentTrainingSplit(
  autoencoders: JointAutoencoders,
  split: LoadedSplit,
  batchOf: (batch: Batch) => JointBatch,
): LoadedSplit {
  const ordered = new BatchLoader(split, {
    batchSize: Math.min(256, split.size),
    shuffle: false,
    dropLast: false,
    imagesAsFloat: true,
  });
  // raw latents of every row, encoded once (as joint-diffusion's second stage does)
  const chunks: Tensor[] = [];
  let latents: Tensor;
  try {
    for (const batch of ordered.epochBatches()) {
      try {
        chunks.push(autoencoders.encodeAll(batchOf(batch).data));
      } finally {
        disposeBatch(batch);
      }
    }
    const raw = cat(chunks, 0);
    if (!autoencoders.hasStatistics) autoencoders.setStatistics(raw);
    latents = autoencoders.standardise(raw);
    raw.dispose();
  } finally {
    dispose(chunks);
  }
  const presence = new Map([...split.presence].map(([name, mask]) => [name, mask.clone()]));
  return {
    dataset: split.dataset,
    split: split.split,
    entries: split.entries,
    size: split.size,
    images: latents,
    labels: new Map(),
    presence,
    dispose: () => dispose([latents, ...presence.values()]),
  };
}

/** A batch of the latent split as the VAE reads it: each modality's slice of the latents, and its presence. */
export function latentJointBatch(names: readonly ModalityName[], batch: Batch): JointBatch {
  const latents = batch.images as Tensor;
  const width = (latents.shape[1] ?? 0) / names.length;
  return {
    data: names.map((_, index) => latents.narrow(1, index * width, width)),
    presence: names.map((name) => {
      const mask = batch.presence.get(name);
      if (!mask) throw new Error(`the batch has no presence mask for ${name}`);
      return mask;
    }),
  };
}
