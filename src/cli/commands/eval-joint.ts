// `mmgen eval RUN` for a joint run: conditional coherence from every subset of modalities to every other,
// joint coherence of samples, the CdSprites+ table beside the published leaderboard, and FID/KID of the
// text→image pictures. Images are read by the dataset's judge, sounds by `--transcriber RUN`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '../../data/format.js';
import type { LoadedSplit } from '../../data/loader.js';
import { captionedAttributes } from '../../eval/image-to-text.js';
import { evaluateImages } from '../../eval/images.js';
import {
  type JointEvaluation,
  type JointModality,
  type JointModelUnderTest,
  type JointOutputs,
  evaluateJoint,
} from '../../eval/joint.js';
import { type JointReportContext, directionName, jointReportLines, writeJointReport } from '../../eval/joint-report.js';
import { JointDiffusion } from '../../models/joint-diffusion.js';
import { JointVae } from '../../models/joint-vae.js';
import { loadJointRun } from '../../models/joint-run.js';
import type { JointInputs, JointModel } from '../../models/joint/model.js';
import type { JointOutput } from '../../models/joint/outputs.js';
import { Judge } from '../../models/judge.js';
import { type LoadedTranscriber, loadTranscriberRun } from '../../models/transcriber-run.js';
import { type Tensor, dispose, tensor, tidy } from '../../tensor/index.js';
import { clipsToTensor } from '../../modalities/audio/index.js';
import { loadJointSplit } from '../../train/sessions/joint.js';
import { integerFlag, numberFlag, splitFlag } from '../flags.js';

export interface JointEvalFlags {
  judge?: string;
  transcriber?: string;
  captions: string;
  seed: string;
  temperature?: string;
  candidates?: string;
  /** false with --no-caption-words. */
  captionWords?: boolean;
  guidance?: string;
  eta?: string;
  split?: string;
  limit?: string;
  data?: string;
}

/** The test rows of a split as a joint run's inputs, for the given modalities. */
export function rowsAsInputs(split: LoadedSplit, rows: readonly number[], from: readonly JointModality[]): JointInputs {
  return tidy(() => {
    const index = tensor(BigInt64Array.from(rows, (row) => BigInt(row)));
    const inputs: JointInputs = {};
    if (from.includes('image') && split.images)
      inputs.image = split.images.indexSelect(0, index).float().div(127.5).sub(1);
    if (from.includes('audio') && split.audio) inputs.audio = split.audio.indexSelect(0, index);
    if (from.includes('text') && split.tokens && split.lengths)
      inputs.text = { tokens: split.tokens.indexSelect(0, index), lengths: split.lengths.indexSelect(0, index) };
    return inputs;
  });
}

/**
 * The real clips of test rows through the run's spectrogram codec alone (the joint split holds them as the
 * codec's spectrograms already): Griffin-Lim of the real log-mels, no model.
 */
export function codecRoundTrip(model: JointModel, split: LoadedSplit, rows: readonly number[]): Float32Array[] {
  if (!model.codec || !split.audio) throw new Error('the codec ceiling needs a run with sound and a split with clips');
  const spectrograms = rowsAsInputs(split, rows, ['audio']).audio as Tensor;
  try {
    return model.codec.decode(spectrograms, 0);
  } finally {
    spectrograms.dispose();
  }
}

/** A joint output as eval reads it (texts as strings; the spectrograms are freed, the clips kept). */
function forEval(output: JointOutput): JointOutputs {
  output.audio?.spectrograms.dispose();
  return {
    ...(output.image ? { image: output.image } : {}),
    ...(output.text ? { text: output.text.map((generated) => generated.text) } : {}),
    ...(output.audio ? { audio: output.audio.clips } : {}),
  };
}

export interface JointRunEvaluation {
  evaluation: JointEvaluation;
  context: JointReportContext;
}

export interface JointRunEvalOptions {
  /** Dataset whose test split is translated (default: the one the run was trained on). */
  data?: string;
  judge?: Judge;
  transcriber?: { name: string; model: LoadedTranscriber['model'] };
  rows: number;
  /** Joint samples drawn (default 250). */
  samples?: number;
  /** The split translated: test (default), or val to choose sampling settings without looking at test. */
  split?: 'test' | 'val';
  /** Only the first N samples of the split. */
  limit?: number;
  seed: number;
  /** joint-vae: the inferred latents' spread (default: the run's sampling.temperature). */
  temperature?: number | undefined;
  /** joint-diffusion: draws per output, the best kept (default: the run's sampling.candidates). */
  candidates?: number;
  /** joint-diffusion: rank draws also by the caption words their heads read (default: the run's sampling.captionWords). */
  captionWords?: boolean;
  /** joint-diffusion: classifier-free guidance weight (default: the run's sampling.guidance). */
  guidance?: number;
  /** joint-diffusion: the sampler's stochasticity η (default: the run's sampling.eta). */
  eta?: number;
  /** FID/KID of the text→image pictures (on by default). */
  distribution?: boolean;
  onProgress?: (done: number, total: number, what: string) => void;
}

/** The joint protocol on a loaded run: every subset → every other modality, joint samples, FID. */
export async function evaluateJointRun(
  runDir: string,
  model: JointModel,
  options: JointRunEvalOptions,
): Promise<JointRunEvaluation> {
  const started = performance.now();
  const datasetDir = options.data ?? model.dataset;
  if (!existsSync(datasetDir))
    throw new Error(
      `${runDir} was trained on ${datasetDir}, which does not exist here; rebuild it with \`mmgen data build\` at that path`,
    );
  const dataset = await readDataset(datasetDir);
  const split = await loadJointSplit(dataset, model, { split: options.split ?? 'test', limit: options.limit });
  try {
    // emoji: no caption names an attribute, so only captions and FID are scored
    const attributes = captionedAttributes(dataset, split.entries) ?? {};
    const rows = Math.min(options.rows, split.size);
    const { judge, transcriber, seed, temperature } = options;
    const reranking = {
      ...(options.candidates !== undefined ? { candidates: options.candidates } : {}),
      ...(options.captionWords !== undefined ? { captionWords: options.captionWords } : {}),
    };
    const guidance = options.guidance !== undefined ? { guidance: options.guidance } : {};
    const stochasticity = options.eta !== undefined ? { eta: options.eta } : {};
    const underTest: JointModelUnderTest = {
      names: model.names,
      reconstructsOnly: model.reconstructsOnly,
      translate: async (batch, from, to, batchSeed) => {
        const inputs = rowsAsInputs(split, batch, from);
        try {
          return forEval(
            model.translate(inputs, {
              to: [...to],
              seed: batchSeed,
              ...(temperature !== undefined ? { temperature } : {}),
              ...reranking,
              ...guidance,
              ...stochasticity,
            }),
          );
        } finally {
          dispose(inputs);
        }
      },
      sample: async (count, batchSeed, to) =>
        forEval(model.sample(count, batchSeed, to, { ...reranking, ...stochasticity })),
      ...(model.codec && split.audio ? { codecRoundTrip: async (batch) => codecRoundTrip(model, split, batch) } : {}),
    };
    const evaluation = await evaluateJoint({
      model: underTest,
      readers: {
        ...(judge ? { image: judge } : {}),
        ...(transcriber
          ? {
              audio: {
                name: transcriber.name,
                read: async (clips) => transcribeClips(transcriber.model, clips, model.shapes.audio?.samples ?? 0),
              },
            }
          : {}),
      },
      entries: split.entries,
      attributes,
      rows,
      ...(options.samples !== undefined ? { samples: options.samples } : {}),
      seed,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    let fid;
    if (judge && model.names.includes('image') && options.distribution !== false && !model.reconstructsOnly) {
      const images = (
        await underTest.translate(
          Array.from({ length: rows }, (_, row) => row),
          ['text'],
          ['image'],
          seed,
        )
      ).image as Tensor;
      try {
        fid = (await evaluateImages({ judge, dataset, images, seed })).distribution;
      } finally {
        images.dispose();
      }
    }
    const level = typeof dataset.info.options.level === 'number' ? dataset.info.options.level : undefined;
    const context: JointReportContext = {
      run: runDir,
      recipe: model.recipe,
      dataset: { name: dataset.info.name, builder: dataset.info.builder, level },
      split: options.split ?? 'test',
      temperature: temperature ?? (model instanceof JointVae ? model.config.sampling.temperature : 1),
      candidates:
        options.candidates ?? (model instanceof JointDiffusion ? model.config.sampling.candidates : undefined),
      captionWords:
        model instanceof JointDiffusion &&
        model.autoencoders.readsWords &&
        (options.captionWords ?? model.config.sampling.captionWords),
      guidance: options.guidance ?? (model instanceof JointDiffusion ? model.config.sampling.guidance : undefined),
      eta: options.eta ?? (model instanceof JointDiffusion ? model.config.sampling.eta : undefined),
      fid,
      seconds: (performance.now() - started) / 1000,
    };
    return { evaluation, context };
  } finally {
    split.dispose();
  }
}

export async function runJointEval(runDir: string, flags: JointEvalFlags): Promise<void> {
  const split = splitFlag(flags.split);
  const model: JointModel = await loadJointRun(runDir);
  let judge: Judge | undefined;
  let transcriber: LoadedTranscriber['model'] | undefined;
  try {
    const datasetDir = flags.data ?? model.dataset;
    const judgeDir = flags.judge ?? join(datasetDir, 'judge');
    if (existsSync(join(judgeDir, 'judge.json'))) judge = await Judge.load(judgeDir);
    else if (flags.judge)
      throw new Error(
        `no judge at ${judgeDir}; train one with \`mmgen eval train-judge ${datasetDir} --out ${judgeDir}\``,
      );
    if (flags.transcriber) transcriber = (await loadTranscriberRun(flags.transcriber)).model;
    const { evaluation, context } = await evaluateJointRun(runDir, model, {
      ...(flags.data ? { data: flags.data } : {}),
      ...(judge ? { judge } : {}),
      ...(transcriber && flags.transcriber ? { transcriber: { name: flags.transcriber, model: transcriber } } : {}),
      rows: integerFlag(flags.captions, '--captions', 1),
      ...(flags.limit ? { limit: integerFlag(flags.limit, '--limit') } : {}),
      seed: integerFlag(flags.seed, '--seed', 0),
      temperature: flags.temperature === undefined ? undefined : numberFlag(flags.temperature, '--temperature', 0, 4),
      ...(flags.candidates !== undefined ? { candidates: integerFlag(flags.candidates, '--candidates', 1, 64) } : {}),
      ...(flags.captionWords === false ? { captionWords: false } : {}),
      ...(flags.guidance !== undefined ? { guidance: numberFlag(flags.guidance, '--guidance', 0, 100) } : {}),
      ...(flags.eta !== undefined ? { eta: numberFlag(flags.eta, '--eta', 0, 1) } : {}),
      ...(split ? { split } : {}),
      onProgress: (done, total, what) => process.stderr.write(`eval ${done}/${total}: ${what}\n`),
    });
    const paths = await writeJointReport(runDir, evaluation, context);
    process.stdout.write(
      `${jointReportLines(evaluation, context).join('\n')}\n\nreport: ${paths.markdown} and ${paths.json}\n`,
    );
    const judged = [...evaluation.directions, ...(evaluation.reconstructions ?? [])]
      .filter((direction) => direction.scores || direction.captions)
      .map((direction) => directionName(direction.from, direction.to));
    if (judged.length === 0) process.stderr.write('warning: no direction could be judged (see the notes above)\n');
  } finally {
    judge?.dispose();
    transcriber?.dispose();
    model.dispose();
  }
}

/** Transcripts of generated clips (already at the run's rate and length). */
export function transcribeClips(
  transcriber: LoadedTranscriber['model'],
  clips: readonly Float32Array[],
  samples: number,
): string[] {
  const waveforms = clipsToTensor(clips, samples);
  try {
    return transcriber.transcribe(waveforms, { beam: 1 }).map((text) => text.text);
  } finally {
    waveforms.dispose();
  }
}
