// Wires a joint recipe to a dataset with two or three modalities and the training loop: the tokenizer from
// the training captions (bos … eos), clips turned into log-mel spectrograms once, presence masks for samples
// that lack a modality, seeded batches, a sample sheet of fixed captions translated into every other
// modality, and — when training ends — the latent mixture fitted on the training posteriors.
import { join } from 'node:path';
import { BatchLoader, disposeBatch, type Batch, type BatchCursor } from '../../data/batches.js';
import { type Dataset, readDataset } from '../../data/format.js';
import { type LoadedSplit, loadSplit } from '../../data/loader.js';
import type { Tokenizer } from '../../modalities/text/index.js';
import { type JointVaeConfig, JointVae } from '../../models/joint-vae.js';
import { writeJointOutput } from '../../models/joint/files.js';
import { LATENT_MIXTURE_FILE } from '../../models/joint-run.js';
import type { JointBatch } from '../../models/joint/objectives.js';
import { disposeOutput } from '../../models/joint/outputs.js';
import { type JointShapes, runModalities } from '../../models/joint/part-config.js';
import type { JointModel } from '../../models/joint/model.js';
import type { ModalityData, ModalityName } from '../../models/joint/parts.js';
import { encodeCaptions } from '../../models/joint/captions.js';
import { type Tensor, dispose, manualSeed, tidy, zeros } from '../../tensor/index.js';
import { saveSafetensors } from '../../tensor/safetensors.js';
import { type TrainResult, type TrainingTask, train } from '../loop.js';
import { type SessionOptions, copiedTokenizer, loopOptions, runTokenizer, samplePrompts } from './common.js';
import { heldConfig, latentJointBatch, latentTrainingSplit, loadHeldWeights } from './held-autoencoders.js';

/** The picture and clip formats of a dataset, checked for what a joint run needs. */
export function datasetShapes(dataset: Dataset, tokenizer: Tokenizer): JointShapes {
  const { image, audio } = dataset.info.modalities;
  if (!image && !audio)
    throw new Error(
      `dataset ${dataset.dir} has only text; a joint recipe needs captions with images, sounds or both (e.g. \`mmgen data build shapes --spoken\`)`,
    );
  if (image && image.width !== image.height)
    throw new Error(`a joint recipe needs square images; ${dataset.dir} has ${image.width}×${image.height}`);
  return {
    tokenizer,
    ...(image ? { image: { channels: image.channels, size: image.width } } : {}),
    ...(audio ? { audio: { sampleRate: audio.sampleRate, samples: audio.samples } } : {}),
  };
}

/** The modalities a joint run over the dataset has, in the model's order: captions, and pictures or sounds. */
export function datasetModalities(dataset: Dataset): ModalityName[] {
  return runModalities(dataset.info.modalities);
}

/**
 * A loaded split's rows as the joint model reads them: per modality, its data and presence. A modality in
 * `unread` (one the split was loaded without) is absent from every row: zero presence, and no data to read.
 */
export function jointBatchOf(
  names: readonly ModalityName[],
  batch: Pick<Batch, 'images' | 'audio' | 'tokens' | 'lengths' | 'presence'>,
  unread: readonly ModalityName[] = [],
): JointBatch {
  const rows = batch.tokens?.shape[0] ?? batch.images?.shape[0] ?? batch.audio?.shape[0] ?? 0;
  const data = names.map((name): ModalityData => {
    if (unread.includes(name)) return zeros([rows, 0]);
    if (name === 'text') {
      if (!batch.tokens || !batch.lengths) throw new Error('the batch lacks captions');
      return { tokens: batch.tokens, lengths: batch.lengths };
    }
    const pictures = name === 'image' ? batch.images : batch.audio;
    if (!pictures) throw new Error(`the batch lacks ${name}`);
    return pictures;
  });
  const presence = names.map((name) => {
    if (unread.includes(name)) return zeros([rows]);
    const mask = batch.presence.get(name);
    if (!mask) throw new Error(`the batch has no presence mask for ${name}`);
    return mask;
  });
  return { data, presence };
}

/**
 * Loads a split for a joint model: images as bytes, clips as spectrograms, captions bos … eos, presence masks.
 * `unread` skips pictures or clips a caller does not need (a process training only the other autoencoders):
 * reading 8000 clips costs minutes and gigabytes of waveforms.
 */
export async function loadJointSplit(
  dataset: Dataset,
  model: Pick<JointModel, 'shapes' | 'codec'>,
  options: {
    split: 'train' | 'val' | 'test';
    limit?: number | undefined;
    onData?: SessionOptions['onData'];
    unread?: readonly ModalityName[];
  },
): Promise<LoadedSplit> {
  const tokenizer = model.shapes.tokenizer;
  const unread = options.unread ?? [];
  const split = await loadSplit(dataset, {
    split: options.split,
    images: unread.includes('image') ? false : 'uint8',
    audio: !unread.includes('audio'),
    missing: 'allow',
    text: {
      tokenizer: { encode: (text: string) => encodeCaptions.ids(tokenizer, text), padId: tokenizer.padId },
      padId: tokenizer.padId,
    },
    ...(options.limit ? { limit: options.limit } : {}),
    ...(options.onData ? { onEvent: options.onData } : {}),
  });
  const codec = model.codec;
  if (!split.audio || !codec) return split;
  let spectrograms: Tensor;
  try {
    spectrograms = codec.encodeAll(split.audio);
  } catch (error) {
    split.dispose();
    throw error;
  }
  // the waveforms are not needed once encoded (a full split is ~1 GB of float samples); disposing twice is harmless
  split.audio.dispose();
  const disposeSplit = split.dispose;
  return {
    ...split,
    audio: spectrograms,
    dispose: () => {
      spectrograms.dispose();
      disposeSplit();
    },
  };
}

export async function trainJointVae(
  config: JointVaeConfig,
  options: SessionOptions,
): Promise<{ result: TrainResult; model: JointVae }> {
  const dataset = await readDataset(config.dataset);
  const held = config.model.autoencoders;
  const resume = options.resume ?? false;
  const source = held ? await heldConfig(options.runDir, held.run, resume) : undefined;
  // over held autoencoders, their run's words' numbering (a fresh tokenizer would scramble what they read)
  const tokenizer =
    held && !resume
      ? await copiedTokenizer(held.run, 'model.autoencoders.run', options)
      : await runTokenizer(dataset, options);
  const shapes = datasetShapes(dataset, tokenizer);
  const t = config.training;
  // seeded initialisation: the same seed gives the same initial weights in any process
  if (!resume) manualSeed(config.seed);
  const model = new JointVae(config, shapes, source);
  let trainSplit: LoadedSplit | undefined;
  try {
    if (held && model.autoencoders && !resume) await loadHeldWeights(model.autoencoders, held.run);
    trainSplit = await loadJointSplit(dataset, model, { split: 'train', limit: t.trainLimit, onData: options.onData });
    const batchOf = (batch: Batch): JointBatch =>
      model.autoencoders ? latentJointBatch(model.names, batch) : jointBatchOf(model.names, batch);
    let loader: BatchLoader | undefined;
    let pendingCursor: BatchCursor | undefined;
    let encoded = false;
    // over held autoencoders the split is encoded into latents once, at the first step (after a resume has
    // restored the weights), and its pictures and clips are not needed after
    const readySplit = (): LoadedSplit => {
      const autoencoders = model.autoencoders;
      if (autoencoders && trainSplit && !encoded) {
        const latents = latentTrainingSplit(autoencoders, trainSplit, (batch) => jointBatchOf(model.names, batch));
        trainSplit.dispose();
        trainSplit = latents;
        encoded = true;
      }
      return trainSplit as LoadedSplit;
    };
    const batches = (): BatchLoader => {
      if (loader) return loader;
      const split = readySplit();
      loader = new BatchLoader(split, {
        batchSize: Math.min(t.batchSize, split.size),
        seed: config.seed,
        imagesAsFloat: !model.autoencoders,
      });
      if (pendingCursor) loader.restore(pendingCursor);
      return loader;
    };
    const prompts = samplePrompts({ entries: trainSplit.entries.filter((entry) => entry.text.trim() !== '') }, 8);
    const task: TrainingTask = {
      modules: model.modules,
      optimizers: model.optimizers,
      generators: model.generators,
      step: (step: number) => {
        const batch = batches().next();
        try {
          // tidy: frees the latent split's per-modality views
          return tidy(() => model.trainStep(batchOf(batch), step));
        } finally {
          disposeBatch(batch);
        }
      },
      // fixed captions (and seed) at every sample step, so a user watches the same prompts improve
      sample: async (folder: string, step: number) => {
        const captions = encodeCaptions.batch(tokenizer, prompts);
        let output;
        try {
          output = model.translate(
            { text: captions },
            { to: model.names.filter((name) => name !== 'text'), seed: config.seed + 7, temperature: 0 },
          );
        } finally {
          dispose(captions);
        }
        try {
          const written = await writeJointOutput(
            join(folder, `step-${String(step).padStart(7, '0')}`),
            output,
            model.codec,
            { seed: config.seed + 7, sources: prompts.map((text) => ({ text })) },
          );
          return [written.sheet];
        } finally {
          disposeOutput(output);
        }
      },
      cursor: () => loader?.cursor ?? pendingCursor,
      restoreCursor: (cursor) => {
        pendingCursor = cursor as BatchCursor;
        loader?.restore(pendingCursor);
      },
    };
    const result = await train(
      task,
      loopOptions(options, t, config.seed, { ...config, imageShape: shapes.image, audioShape: shapes.audio }),
    );
    if (!result.interrupted && result.step >= t.steps)
      await fitAndSaveSampler(model, readySplit(), batchOf, options.runDir, config.seed);
    return { result, model };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainSplit?.dispose();
  }
}

/** Fits the latent mixture on up to 4096 training rows (in manifest order) and saves it beside the weights. */
async function fitAndSaveSampler(
  model: JointVae,
  split: LoadedSplit,
  batchOf: (batch: Batch) => JointBatch,
  runDir: string,
  seed: number,
): Promise<void> {
  const loader = new BatchLoader(split, {
    batchSize: Math.min(256, split.size),
    shuffle: false,
    dropLast: false,
    imagesAsFloat: !model.autoencoders,
  });
  const batches: Batch[] = [];
  try {
    for (const batch of loader.epochBatches()) {
      batches.push(batch);
      if (batches.length * 256 >= 4096) break;
    }
    const jointBatches = batches.map((batch) => batchOf(batch));
    try {
      model.fitSampler(jointBatches, seed + 11);
    } finally {
      // the latent split's per-modality views (a data batch's own tensors go with it below)
      if (model.autoencoders) dispose(jointBatches.flatMap((batch) => batch.data as Tensor[]));
    }
  } finally {
    for (const batch of batches) disposeBatch(batch);
  }
  await saveSafetensors(join(runDir, LATENT_MIXTURE_FILE), model.sampler.stateDict());
}
