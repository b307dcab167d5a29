// Wires joint-diffusion to a dataset and the training loop, in two stages within one run: the autoencoders
// on the data's batches, then the score network on the training set's standardised latents (encoded once
// when the stage starts, from the frozen autoencoders). The checkpoint's step says the stage, so resuming
// at any step — across the boundary too — continues as an uninterrupted run would. Sample sheets show the
// autoencoders' reconstructions in the first stage and caption → image/sound translations in the second.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchLoader, disposeBatch, type Batch, type BatchCursor } from '../../data/batches.js';
import { type Dataset, readDataset } from '../../data/format.js';
import type { LoadedSplit } from '../../data/loader.js';
import type { Tokenizer } from '../../modalities/text/index.js';
import { type JointDiffusionConfig, JointDiffusion } from '../../models/joint-diffusion.js';
import { autoencoderSource } from '../../models/joint/diffusion-config.js';
import type { ModalityName } from '../../models/joint/parts.js';
import { writeJointOutput } from '../../models/joint/files.js';
import { encodeCaptions } from '../../models/joint/captions.js';
import { disposeOutput } from '../../models/joint/outputs.js';
import { withPrefix } from '../../models/run-files.js';
import { type Tensor, dispose, manualSeed, tensor, tidy } from '../../tensor/index.js';
import { loadSafetensors } from '../../tensor/safetensors.js';
import { type TrainResult, type TrainingTask, recordConfig, train } from '../loop.js';
import { autoencoderGroups, joinedConfig, trainGroups } from './autoencoders-apart.js';
import { datasetModalities, datasetShapes, jointBatchOf, loadJointSplit } from './joint.js';
import { type SessionOptions, copiedTokenizer, loopOptions, runTokenizer, samplePrompts } from './common.js';

interface DiffusionCursor {
  autoencoder: BatchCursor;
  score?: BatchCursor | undefined;
}

/**
 * The autoencoders reused from other runs (`training.autoencoder.from`: one run, or one per modality), each
 * source's state loaded for the modalities it gives. Latent statistics come too only from a single run whose
 * encoders all stay as they are (no autoencoder trains, or only decoders do); otherwise the second stage sets
 * them from the new latents.
 */
async function loadAutoencodersFrom(model: JointDiffusion): Promise<void> {
  const given = new Map<string, ModalityName[]>();
  for (const name of model.names) {
    const source = model.plan.autoencoderSource(name);
    if (source !== undefined) given.set(source, [...(given.get(source) ?? []), name]);
  }
  const stage = model.config.training.autoencoder;
  const keepStatistics = (model.plan.autoencoderSteps === 0 || stage.decodersOnly) && typeof stage.from === 'string';
  for (const [runDir, modalities] of given) {
    const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors')).catch((error: Error) => {
      throw new Error(
        `training.autoencoder.from: cannot read ${runDir}/model.safetensors (${error.message}); give a trained joint-diffusion run`,
      );
    });
    try {
      const fresh = model.names.filter((name) => !modalities.includes(name));
      model.autoencoders.loadReused(withPrefix(tensors, 'autoencoders'), { fresh, keepStatistics }, runDir);
    } finally {
      dispose([...tensors.values()]);
    }
  }
}

/**
 * The run's tokenizer. Reusing another run's text autoencoder means reusing its words' numbering too: built
 * afresh from this dataset, word ids follow this corpus's frequencies and would scramble what the encoder reads.
 */
async function jointDiffusionTokenizer(
  config: JointDiffusionConfig,
  dataset: Dataset,
  options: SessionOptions,
): Promise<Tokenizer> {
  const source = autoencoderSource(config.training.autoencoder, 'text');
  if (options.resume || source === undefined) return runTokenizer(dataset, options);
  return copiedTokenizer(source, 'training.autoencoder.from', options);
}

/** Rows of the split that have every modality, as standardised latents [N, M·D] in a split the batch loader serves. */
function latentSplit(model: JointDiffusion, split: LoadedSplit): LoadedSplit {
  const ordered = new BatchLoader(split, {
    batchSize: Math.min(256, split.size),
    shuffle: false,
    dropLast: false,
    imagesAsFloat: true,
  });
  const batches: Batch[] = [...ordered.epochBatches()];
  let all: Tensor | undefined;
  try {
    all = model.trainingLatents(batches.map((batch) => jointBatchOf(model.names, batch)));
    const latents = all;
    const complete = tidy(() => {
      const masks = [...split.presence.values()];
      const every = masks.reduce((product, mask) => product.mul(mask));
      return every.toFlatArray();
    });
    const rows = complete.flatMap((value, row) => (value > 0 ? [row] : []));
    if (rows.length === 0)
      throw new Error('no training sample has every modality; the score network learns from complete samples');
    const kept = tidy(() => latents.indexSelect(0, tensor(BigInt64Array.from(rows, BigInt))));
    return {
      dataset: split.dataset,
      split: split.split,
      entries: rows.map((row) => split.entries[row] as LoadedSplit['entries'][number]),
      size: rows.length,
      images: kept,
      labels: new Map(),
      presence: new Map(),
      dispose: () => kept.dispose(),
    };
  } finally {
    all?.dispose();
    for (const batch of batches) disposeBatch(batch);
  }
}

export async function trainJointDiffusion(
  config: JointDiffusionConfig,
  options: SessionOptions,
): Promise<{ result: TrainResult; model: JointDiffusion }> {
  if (config.training.autoencoder.processes.length > 0) return trainAutoencodersApart(config, options);
  return trainStages(config, options, config);
}

/**
 * `training.autoencoder.processes`: the groups of autoencoders train at once in child processes (until done, or
 * a stop: then the model returned is untrained), then this run joins them and trains the score network. Its
 * config.json keeps `processes`, so a resume before the score network's first checkpoint goes on with the groups.
 */
async function trainAutoencodersApart(
  config: JointDiffusionConfig,
  options: SessionOptions,
): Promise<{ result: TrainResult; model: JointDiffusion }> {
  if (options.processGroup)
    throw new Error(
      'training.autoencoder.processes trains in child processes of its own; it cannot be combined with data-parallel training (--workers, --rank): drop one',
    );
  const dataset = await readDataset(config.dataset);
  const groups = autoencoderGroups(config, datasetModalities(dataset), options.runDir);
  const joined = joinedConfig(config, groups);
  const started = (options.resume ?? false) && existsSync(join(options.runDir, 'state.json'));
  if (!started) {
    await mkdir(options.runDir, { recursive: true });
    await recordConfig(options.runDir, config, options.resume ?? false);
    const apart = await trainGroups(config, groups, options.runDir, options.onEvent ?? (() => {}), options.signal);
    if (apart.interrupted) {
      options.onEvent?.({ type: 'interrupted', step: apart.step, path: options.runDir });
      const untrained = new JointDiffusion(joined, datasetShapes(dataset, await runTokenizer(dataset, options)));
      return {
        result: { step: apart.step, interrupted: true, runDir: options.runDir, lastLosses: apart.lastLosses },
        model: untrained,
      };
    }
  }
  return trainStages(joined, { ...options, resume: started }, config);
}

async function trainStages(
  config: JointDiffusionConfig,
  options: SessionOptions,
  recorded: JointDiffusionConfig,
): Promise<{ result: TrainResult; model: JointDiffusion }> {
  const dataset = await readDataset(config.dataset);
  const tokenizer = await jointDiffusionTokenizer(config, dataset, options);
  const shapes = datasetShapes(dataset, tokenizer);
  const t = config.training;
  if (!options.resume) manualSeed(config.seed);
  const model = new JointDiffusion(config, shapes);
  let split: LoadedSplit | undefined;
  let latents: LoadedSplit | undefined;
  try {
    if (t.autoencoder.from && !options.resume) await loadAutoencodersFrom(model);
    // a run with no score stage (a process of `processes`) reads only what its autoencoders train on
    const unread =
      t.score.steps > 0 ? [] : model.names.filter((name) => name !== 'text' && !model.plan.trainsHere(name));
    split = await loadJointSplit(dataset, model, {
      split: 'train',
      limit: t.trainLimit,
      onData: options.onData,
      unread,
    });
    const data = split;
    const loader = new BatchLoader(data, {
      batchSize: Math.min(t.autoencoder.batchSize, data.size),
      seed: config.seed,
      imagesAsFloat: true,
    });
    let latentLoader: BatchLoader | undefined;
    let pendingCursor: BatchCursor | undefined;
    const scoreBatches = (): BatchLoader => {
      if (!latentLoader) {
        latents = latentSplit(model, data);
        latentLoader = new BatchLoader(latents, {
          batchSize: Math.min(t.score.batchSize, latents.size),
          seed: config.seed + 3,
        });
        if (pendingCursor) latentLoader.restore(pendingCursor);
      }
      return latentLoader;
    };
    const prompts = samplePrompts({ entries: data.entries.filter((entry) => entry.text.trim() !== '') }, 8);
    const task: TrainingTask = {
      modules: model.modules,
      optimizers: model.optimizers,
      emas: model.emas,
      generators: model.generators,
      step: (step: number) => {
        if (model.plan.stageAt(step) === 'autoencoder') {
          const batch = loader.next();
          try {
            // tidy: frees the unread modalities' placeholders
            return tidy(() => model.autoencoderStep(jointBatchOf(model.names, batch, unread), step));
          } finally {
            disposeBatch(batch);
          }
        }
        const batch = scoreBatches().next();
        try {
          return model.scoreStep(batch.images as Tensor, step);
        } finally {
          disposeBatch(batch);
        }
      },
      sample: async (folder: string, step: number) => {
        if (model.plan.stageAt(step) === 'autoencoder') return [];
        model.prepareForGeneration();
        const captions = encodeCaptions.batch(tokenizer, prompts);
        try {
          const output = model.translate(
            { text: captions },
            { to: model.names.filter((name) => name !== 'text'), seed: config.seed + 7 },
          );
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
        } finally {
          dispose(captions);
        }
      },
      cursor: (): DiffusionCursor => ({ autoencoder: loader.cursor, score: latentLoader?.cursor ?? pendingCursor }),
      restoreCursor: (cursor) => {
        const saved = cursor as DiffusionCursor;
        loader.restore(saved.autoencoder);
        pendingCursor = saved.score;
      },
    };
    const result = await train(
      task,
      loopOptions(options, { ...t, steps: model.plan.totalSteps }, config.seed, {
        ...recorded,
        imageShape: shapes.image,
        audioShape: shapes.audio,
      }),
    );
    model.prepareForGeneration();
    return { result, model };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    split?.dispose();
    latents?.dispose();
  }
}
