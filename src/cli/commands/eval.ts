// `mmgen eval RUN`: judges a text→image run (attribute accuracy with chance, FID/KID with the
// real-vs-real floor) and writes RUN/eval.json, RUN/eval.md and a grid of test captions; text→audio,
// captioner and transcriber runs go to their own eval-*.ts.
// `mmgen eval train-judge DATASET` (eval-train-judge.ts) trains the judge that eval uses.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Tensor, noGrad } from '../../tensor/index.js';
import { tensorToImages, writeContactSheet } from '../../modalities/image/index.js';
import { Judge } from '../../models/judge.js';
import { runJointEval } from './eval-joint.js';
import { defaultJudgeDir, runTrainJudge } from './eval-train-judge.js';
import { DEFAULT_JUDGE_STEPS } from '../../models/judge-train.js';
import { loadTextToImageRun } from '../../models/text-to-image-recipes.js';
import {
  type CaptionResult,
  DEFAULT_PROTOCOL,
  drawnSentence,
  evaluateTextToImage,
  kidSentence,
  metricRows,
  unknownWordsSentence,
  writeReport,
} from '../../eval/index.js';
import { keepKnownWords } from '../../models/prompts.js';
import { dataProgress } from '../data-progress.js';
import { interruptSignal } from '../progress.js';
import type { TrainJudgeFlags } from '../judge-progress.js';
import { runAudioEval, runJudgeWavs } from './eval-audio.js';
import { findRecipe } from '../../models/recipes.js';
import type { Capability } from '../../models/run/types.js';
import { DEFAULT_AUDIO_JUDGE_STEPS } from '../../models/audio-judge-train.js';
import { readRunConfig } from '../../models/run-files.js';
import { runCaptionEval } from './eval-caption.js';
import { loadCaptionerRun } from '../../models/captioner-run.js';
import type { Captioner } from '../../models/captioner.js';
import { runTranscriberEval } from './eval-transcriber.js';
import { consensusOptions } from '../search-flags.js';
import { REJECTION_HELP, collect, integerFlag, percent, rejectionFlag } from '../flags.js';

export interface EvalFlags {
  data?: string;
  transcriber?: string;
  temperature?: string;
  candidates?: string;
  captionWords?: boolean;
  guidance?: string;
  eta?: string;
  rejection?: string;
  with?: string[];
  judge?: string;
  captioner?: string;
  captions: string;
  perCaption: string;
  perClass?: string;
  seed: string;
  batch: string;
  kidSubsets: string;
  beam?: string;
  lengthPenalty?: string;
  consensus?: string;
  consensusTemperature?: string;
  limit?: string;
  split?: string;
}

function printTable(rows: { metric: string; value: string; reference: string }[]): void {
  const width = (key: 'metric' | 'value') => Math.max(...rows.map((row) => row[key].length));
  const metricWidth = width('metric');
  const valueWidth = width('value');
  for (const row of rows)
    process.stdout.write(`  ${row.metric.padEnd(metricWidth)}  ${row.value.padStart(valueWidth)}   ${row.reference}\n`);
}

export async function runEval(runDir: string, flags: EvalFlags): Promise<void> {
  // which evaluation a run gets follows from what its recipe can do, by the registry
  const name = (await readRunConfig(runDir)).recipe;
  const recipe = findRecipe(name);
  if (!recipe)
    throw new Error(`${runDir}/config.json names recipe ${JSON.stringify(name)}, which this mmgen does not know`);
  const can = (capability: Capability): boolean => recipe.capabilities.includes(capability);
  if (can('caption')) return runCaptionEval(runDir, flags);
  if ((flags.with ?? []).length > 0)
    throw new Error(`--with ensembles captioner runs; ${runDir} is a "${String(name)}" run`);
  if (can('generate') && recipe.modalities.outputs.includes('audio'))
    return runAudioEval(runDir, flags, defaultJudgeDir);
  if (can('transcribe')) return runTranscriberEval(runDir, flags);
  if (can('translate')) return runJointEval(runDir, flags);
  const started = performance.now();
  const run = await loadTextToImageRun(runDir, rejectionFlag(flags.rejection));
  if (run.notice) process.stderr.write(`notice: ${run.notice}\n`);
  let judge: Judge | undefined;
  let captioner: Captioner | undefined;
  const data = dataProgress();
  const interrupt = interruptSignal('evaluation');
  try {
    if (!existsSync(run.dataset))
      throw new Error(
        `${runDir} was trained on ${run.dataset}, which does not exist here; rebuild it with \`mmgen data build\` at that path`,
      );
    const judgeDir = flags.judge ?? defaultJudgeDir(run.dataset);
    if (!existsSync(join(judgeDir, 'judge.json'))) {
      throw new Error(
        `no judge at ${judgeDir}; train one with \`mmgen eval train-judge ${run.dataset}\`${flags.judge ? ` --out ${flags.judge}` : ''} (or pass --judge DIR)`,
      );
    }
    judge = await Judge.load(judgeDir);
    if (flags.captioner) captioner = (await loadCaptionerRun(flags.captioner)).model;
    const reader = captioner;
    const model = run.model;
    const evaluation = await evaluateTextToImage({
      generator: {
        generate: async (texts, options) => noGrad(() => model.generate(texts, options.seed)),
        promptFor: (caption) => keepKnownWords(model.tokenizer, caption),
      },
      judge,
      dataset: run.dataset,
      captions: integerFlag(flags.captions, '--captions', 1),
      imagesPerCaption: integerFlag(flags.perCaption, '--per-caption', 1),
      seed: integerFlag(flags.seed, '--seed', 0),
      batchSize: integerFlag(flags.batch, '--batch', 1),
      kidSubsets: integerFlag(flags.kidSubsets, '--kid-subsets', 1),
      ...(reader && flags.captioner
        ? {
            reader: {
              name: flags.captioner,
              read: (images: Tensor) => reader.caption(images).map((caption) => caption.text),
            },
          }
        : {}),
      onEvent: data.onEvent,
      signal: interrupt.signal,
    });
    data.stop();
    const paths = await writeReport(runDir, evaluation.metrics, {
      run: { dir: runDir, recipe: run.recipe.name },
      judgeDir,
      protocol: evaluation.protocol,
      examples: evaluation.examples,
      ...(evaluation.secondOpinion ? { secondOpinion: evaluation.secondOpinion } : {}),
      ...(run.generation ? { generation: run.generation } : {}),
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    });
    const grid = await writeExampleGrid(runDir, evaluation.examples, (texts) =>
      noGrad(() => model.generate(texts, integerFlag(flags.seed, '--seed', 0))),
    );
    const { protocol, metrics } = evaluation;
    const fidSet =
      protocol.imagesPerCaption > 1
        ? `; FID/KID on ${metrics.images} more from ${protocol.distributionCaptions} ${protocol.split} samples (${protocol.distributionDistinctCaptions} distinct captions)`
        : '';
    process.stdout.write(
      `${runDir} (${run.recipe.name}) on ${metrics.dataset.name}: ${metrics.images} images from ${drawnSentence(protocol)}${fidSet}\n`,
    );
    if (run.generation) process.stdout.write(`${run.generation}\n`);
    if (protocol.unknownWords) process.stdout.write(`${unknownWordsSentence(protocol.unknownWords)}\n`);
    printTable(metricRows(metrics));
    const kid = metrics.distribution?.kid;
    if (kid && (kid.mean < 0 || (metrics.distribution?.kidRealFloor.mean ?? 0) < 0))
      process.stdout.write(`${kidSentence(kid)}\n`);
    const opinion = evaluation.secondOpinion;
    if (opinion) {
      const parts = Object.entries(opinion.perAttribute)
        .map(([name, value]) => `${name} ${percent(value)}`)
        .join(', ');
      process.stdout.write(
        `second opinion (captioner ${opinion.reader}): every attribute named right for ${percent(opinion.strict)} of the images (${parts})\n`,
      );
    }
    for (const warning of metrics.warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(`report: ${paths.markdown} and ${paths.json}; test-caption grid: ${grid}\n`);
  } finally {
    data.stop();
    interrupt.release();
    judge?.dispose();
    captioner?.dispose();
    run.model.dispose();
  }
}

const GRID_COLUMNS = 4;

/** A grid of test captions (never seen in training), one row per caption: what a person looks at first. */
async function writeExampleGrid(
  runDir: string,
  examples: CaptionResult[],
  generate: (texts: string[]) => Tensor,
): Promise<string> {
  const repeat = (text: string): string[] => new Array<string>(GRID_COLUMNS).fill(text);
  const images = generate(examples.flatMap((example) => repeat(example.prompt ?? example.text)));
  // tiles are labelled with the test caption itself, even when its unknown words were left out of the prompt
  const labels = examples.flatMap((example) => repeat(example.text));
  const path = join(runDir, 'eval-grid.png');
  try {
    const tiles = tensorToImages(images, { range: 'signed' }).map((image, index) => ({
      image,
      caption: labels[index] as string,
    }));
    await writeContactSheet(path, tiles, { columns: GRID_COLUMNS, tileSize: [96, 96] });
  } finally {
    images.dispose();
  }
  return path;
}

export function registerEval(program: Command): void {
  const command = program
    .command('eval')
    .description(
      'evaluate a run: text→image (attribute accuracy, FID/KID), text→audio (accuracy, inception score, Fréchet distance), captioner (Strict/Feats/Letters, BLEU, CIDEr-D, nearest-neighbour baseline) or transcriber (exact match, CER)',
    )
    .argument('<run>', 'run folder written by `mmgen train`')
    .option('--judge <dir>', 'judge folder (default DATASET/judge)')
    .option('--transcriber <run>', 'joint runs: a transcriber trained on the same dataset reads the generated sounds')
    .option(
      '--data <dir>',
      "joint runs: translate this dataset's test split (built like the run's) instead of the run's own dataset",
    )
    .option(
      '--temperature <t>',
      "joint-vae runs: spread of the inferred latents (1 = posterior draws, 0 = means; default: the run's sampling.temperature)",
    )
    .option(
      '--candidates <k>',
      "joint-diffusion runs: draws per output, the one whose modalities agree best kept (default: the run's sampling.candidates)",
    )
    .option(
      '--no-caption-words',
      "joint-diffusion runs: rank draws by the score network alone, not also by the caption words their heads read (default: the run's sampling.captionWords)",
    )
    .option(
      '--guidance <weight>',
      "joint-diffusion runs: classifier-free guidance weight, ≥ 0 (default: the run's sampling.guidance)",
    )
    .option(
      '--eta <eta>',
      "joint-diffusion runs: the sampler's stochasticity, 0 (DDIM) to 1 (fresh noise each step) (default: the run's sampling.eta)",
    )
    .option(
      '--captioner <run>',
      'text→image runs: a captioner run trained on the same dataset reads the generated images too (a second opinion)',
    )
    .option(
      '--captions <count>',
      'test samples to draw (rows; two can share a caption, and the report counts the distinct ones)',
      String(DEFAULT_PROTOCOL.captions),
    )
    .option('--per-caption <count>', 'images per caption', String(DEFAULT_PROTOCOL.imagesPerCaption))
    .option('--seed <seed>', 'caption choice and generation seed', String(DEFAULT_PROTOCOL.seed))
    .option('--batch <count>', 'captions per generation call', String(DEFAULT_PROTOCOL.batchSize))
    .option('--rejection <fraction>', REJECTION_HELP)
    .option('--kid-subsets <count>', 'random subsets averaged for KID', '100')
    .option('--per-class <count>', 'text→audio runs: clips generated per class', '100')
    .option('--beam <width>', 'captioners/transcribers: beam width (1 = greedy; default from the run config)')
    .option(
      '--with <run>',
      'captioners: evaluate this captioner run too, as an ensemble with RUN (repeat for more); writes eval-ensemble.md/json',
      collect,
      [],
    )
    .option(
      '--length-penalty <alpha>',
      'captioners/transcribers: GNMT length penalty α of beam search (default from the run config)',
    )
    .option('--limit <count>', 'captioners/transcribers: only the first N test samples')
    .option(
      '--split <name>',
      'captioners and joint runs: score the test split (default) or val, to choose decoding or sampling settings without looking at test; val writes eval-val.md/json',
    );
  consensusOptions(command, 'captioners/transcribers: ').action(async (runDir: string, flags: EvalFlags) =>
    runEval(runDir, flags),
  );
  command
    .command('train-judge')
    .description("train a dataset's judge (CNN classifiers on its real images) and print its held-out accuracy")
    .argument('<dataset>', 'dataset folder written by `mmgen data build`')
    .option('--out <dir>', 'judge folder (default DATASET/judge)')
    .option(
      '--steps <count>',
      `training steps (default ${DEFAULT_JUDGE_STEPS} for image judges, ${DEFAULT_AUDIO_JUDGE_STEPS} for audio judges)`,
    )
    .option('--seed <seed>', 'seed of initialisation and batch order', '0')
    .option('--batch <count>', 'batch size', '64')
    .option('--lr <rate>', 'Adam learning rate (cosine-decayed)')
    .option('--attributes <names>', 'comma-separated attributes to judge (default: per dataset)')
    .option('--limit <count>', 'use only the first N training images')
    .action(async (datasetDir: string, flags: TrainJudgeFlags) => runTrainJudge(datasetDir, flags));
  command
    .command('wavs')
    .description("the audio judge's verdict on each WAV (bad files are reported, the rest still judged)")
    .argument('<files...>', 'WAV files')
    .option('--judge <dir>', 'audio judge folder (from `eval train-judge` on an audio dataset)')
    // `--judge` is also an option of `eval` itself, which may take it first
    .action(async (files: string[], flags: { judge?: string }) => {
      const judge = flags.judge ?? (command.opts() as { judge?: string }).judge;
      if (judge === undefined)
        throw new Error(
          'give the audio judge folder with --judge DIR (train one with `mmgen eval train-judge DATASET --out DIR`)',
        );
      await runJudgeWavs(files, { judge });
    });
}
