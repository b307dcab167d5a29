// The audio side of `mmgen eval`: training the audio judge (`eval train-judge` on an audio dataset),
// judging a text→audio run (`eval RUN`), and judging a folder of the user's WAVs (`eval wavs`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readDataset } from '../../data/format.js';
import { stack, tensor, tidy } from '../../tensor/index.js';
import { AudioJudge } from '../../models/audio-judge.js';
import { DEFAULT_AUDIO_JUDGE_STEPS, trainAudioJudge } from '../../models/audio-judge-train.js';
import { loadTextToAudioRun } from '../../models/text-to-audio-recipes.js';
import {
  evaluateTextToAudio,
  audioDrawnSentence,
  audioMetricRows,
  gainSentence,
  writeAudioReport,
} from '../../eval/audio-report.js';
import { readClips } from '../../eval/audio-files.js';
import { dataProgress } from '../data-progress.js';
import { interruptSignal } from '../progress.js';
import { type TrainJudgeFlags, judgeTrainingSettings, saveTrainedJudge, withJudgeProgress } from '../judge-progress.js';
import { integerFlag, percent, rejectionFlag } from '../flags.js';

/** Whether a dataset is judged by the audio judge: it has clips and no images. */
export async function isAudioDataset(datasetDir: string): Promise<boolean> {
  if (!existsSync(join(datasetDir, 'dataset.json'))) return false;
  const { info } = await readDataset(datasetDir);
  return info.modalities.audio !== undefined && info.modalities.image === undefined;
}

export async function runTrainAudioJudge(
  datasetDir: string,
  flags: TrainJudgeFlags,
  defaultOut: string,
): Promise<void> {
  const out = flags.out ?? defaultOut;
  const settings = judgeTrainingSettings(flags, DEFAULT_AUDIO_JUDGE_STEPS);
  const result = await withJudgeProgress((onEvent, signal) =>
    trainAudioJudge({
      dataset: datasetDir,
      ...settings,
      ...(flags.attributes !== undefined ? { attribute: flags.attributes.trim() } : {}),
      onEvent,
      signal,
    }),
  );
  await saveTrainedJudge(result, out, { name: 'audio judge', samples: 'clips' }, (judge) => {
    const info = judge.info;
    process.stdout.write(
      `held-out ${info.attribute} accuracy on ${info.evaluation.samples} real ${info.evaluation.split} clips: ${percent(info.accuracy)} (${info.trusted ? 'trusted' : 'NOT TRUSTED'}, needs ≥ ${percent(info.threshold)})\n`,
    );
    if (!info.trusted)
      process.stderr.write(
        `warning: the judge is below ${percent(info.threshold)}; eval will flag its verdicts. Train longer (e.g. --steps ${settings.steps * 2}).\n`,
      );
  });
}

export interface AudioEvalFlags {
  judge?: string;
  perClass?: string;
  seed: string;
  batch: string;
  rejection?: string;
}

function printRows(rows: { metric: string; value: string; reference: string }[]): void {
  const metricWidth = Math.max(...rows.map((row) => row.metric.length));
  const valueWidth = Math.max(...rows.map((row) => row.value.length));
  for (const row of rows)
    process.stdout.write(`  ${row.metric.padEnd(metricWidth)}  ${row.value.padStart(valueWidth)}   ${row.reference}\n`);
}

export async function runAudioEval(
  runDir: string,
  flags: AudioEvalFlags,
  defaultJudgeDir: (dataset: string) => string,
): Promise<void> {
  const started = performance.now();
  const run = await loadTextToAudioRun(runDir, rejectionFlag(flags.rejection));
  if (run.notice) process.stderr.write(`notice: ${run.notice}\n`);
  let judge: AudioJudge | undefined;
  const data = dataProgress();
  const interrupt = interruptSignal('evaluation');
  try {
    if (!existsSync(run.dataset))
      throw new Error(
        `${runDir} was trained on ${run.dataset}, which does not exist here; rebuild it with \`mmgen data build\` at that path`,
      );
    const judgeDir = flags.judge ?? defaultJudgeDir(run.dataset);
    if (!existsSync(join(judgeDir, 'judge.json')))
      throw new Error(
        `no judge at ${judgeDir}; train one with \`mmgen eval train-judge ${run.dataset} --out DIR\` and pass --judge DIR`,
      );
    judge = await AudioJudge.load(judgeDir);
    const evaluation = await evaluateTextToAudio({
      model: run.model,
      judge,
      dataset: run.dataset,
      perClass: integerFlag(flags.perClass ?? '100', '--per-class', 1),
      seed: integerFlag(flags.seed, '--seed', 0),
      batchSize: integerFlag(flags.batch, '--batch', 1),
      onEvent: data.onEvent,
      signal: interrupt.signal,
    });
    data.stop();
    const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
    const paths = await writeAudioReport(runDir, evaluation, {
      run: { dir: runDir, recipe: run.recipe.name },
      judgeDir,
      seconds,
      outputGainDb: run.model.outputGainDb,
      ...(run.generation ? { generation: run.generation } : {}),
    });
    process.stdout.write(
      `${runDir} (${run.recipe.name}) on ${evaluation.dataset.name}: ${audioDrawnSentence(evaluation)}, seed ${evaluation.seed}\n`,
    );
    if (run.generation) process.stdout.write(`${run.generation}\n`);
    printRows(audioMetricRows(evaluation));
    process.stdout.write(`${gainSentence(run.model.outputGainDb)}\n`);
    for (const warning of evaluation.warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(`report: ${paths.markdown} and ${paths.json}\n`);
  } finally {
    data.stop();
    interrupt.release();
    judge?.dispose();
    run.model.dispose();
  }
}

/** `mmgen eval wavs FILE...`: the judge's verdict on each WAV; a bad file is reported and the rest are judged. */
export async function runJudgeWavs(files: string[], flags: { judge: string }): Promise<void> {
  const judge = await AudioJudge.load(flags.judge);
  try {
    const { clips, failures } = await readClips(files, {
      sampleRate: judge.info.features.sampleRate,
      samples: judge.info.features.samples,
    });
    for (const failure of failures) process.stderr.write(`skipped ${failure.file}: ${failure.reason}\n`);
    if (clips.length > 0) {
      const waveforms = tidy(() => stack(clips.map((clip) => tensor(clip.samples))));
      const { probabilities, predictions } = judge.run(waveforms);
      const rows = probabilities.toArray() as number[][];
      clips.forEach((clip, index) => {
        const label = judge.info.classes[predictions[index] ?? 0] ?? '?';
        const confidence = Math.max(...(rows[index] ?? [0]));
        process.stdout.write(
          `${clip.file}\t${label}\t${(confidence * 100).toFixed(1)} %${clip.notes.length > 0 ? `\t(${clip.notes.join('; ')})` : ''}\n`,
        );
      });
      probabilities.dispose();
      waveforms.dispose();
    }
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    judge.dispose();
  }
}
