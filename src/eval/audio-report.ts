// The evaluation report of a text→audio run: eval.json (everything) and eval.md (a table with chance,
// the real-data inception score and the real-vs-real Fréchet floor), written to temporary names and renamed.
import { join } from 'node:path';
import { mmgenVersion } from '../data/format.js';
import { writeFileAtomic } from '../data/files.js';
import { EVAL_JSON, EVAL_MARKDOWN, type MetricRow } from './report.js';
import type { TextToAudioEvaluation } from './text-to-audio.js';

export { evaluateTextToAudio } from './text-to-audio.js';

const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;
const signedDb = (value: number): string => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(1)} dB`;

/** "1000 clips: 10 distinct captions (one per digit) × 100 clips". */
export function audioDrawnSentence(evaluation: TextToAudioEvaluation): string {
  const { clips, perClass, distinctCaptions, judge } = evaluation;
  const perCaption =
    distinctCaptions === judge.classes.length
      ? ` (one per ${judge.attribute})`
      : ` for ${judge.classes.length} ${judge.attribute} classes`;
  return `${clips} clips: ${distinctCaptions} distinct captions${perCaption} × ${perClass} clips`;
}

export function audioMetricRows(evaluation: TextToAudioEvaluation): MetricRow[] {
  const note = evaluation.judge.trusted ? '' : ' (untrusted judge)';
  const is = evaluation.inceptionScore;
  const real = evaluation.realInceptionScore;
  return [
    {
      metric: `${evaluation.judge.attribute} accuracy${note}`,
      value: percent(evaluation.accuracy),
      reference: `chance ${percent(evaluation.chance)}; real ${evaluation.realSplit} clips ${percent(evaluation.realAccuracy)}`,
    },
    {
      metric: `inception score (${is.splits} splits)${note}`,
      value: `${is.mean.toFixed(3)} ± ${is.std.toFixed(3)}`,
      reference: `real ${real.mean.toFixed(3)} ± ${real.std.toFixed(3)} (${percent(evaluation.inceptionRatio)} of real)`,
    },
    {
      metric: `Fréchet distance (judge features, vs ${evaluation.realClips} real ${evaluation.realSplit} clips)`,
      value: evaluation.frechetDistance.toFixed(3),
      reference: `real vs real ${evaluation.frechetRealFloor.toFixed(3)}`,
    },
    {
      metric: 'RMS level (all clips together)',
      value: `${evaluation.generatedLevelDbfs.toFixed(1)} dBFS`,
      reference: `real ${evaluation.realSplit} clips ${evaluation.realLevelDbfs.toFixed(1)} dBFS (${signedDb(evaluation.generatedLevelDbfs - evaluation.realLevelDbfs)})`,
    },
  ];
}

export interface AudioReportContext {
  run: { dir: string; recipe: string };
  judgeDir: string;
  seconds: number;
  /** How the run generated beyond drawing noise (discriminator rejection sampling). */
  generation?: string;
  /** The gain (dB) generation applied to bring clips to the data's level (the run's audio-level.json). */
  outputGainDb?: number;
}

/** What the level row's generated value includes. */
export function gainSentence(outputGainDb: number | undefined): string {
  if (outputGainDb === undefined || outputGainDb === 0)
    return 'Generated clips are written at the level the model decodes them (the run has no audio-level.json: it was trained before levels were measured, or stopped before its end).';
  return `Generated clips include the run's output gain of up to ${outputGainDb >= 0 ? '+' : '−'}${Math.abs(outputGainDb).toFixed(1)} dB (audio-level.json, measured at the end of training against the training clips; a clip whose peak would pass full scale is raised less).`;
}

export function renderAudioMarkdown(evaluation: TextToAudioEvaluation, context: AudioReportContext): string {
  const lines = [
    `# Evaluation: ${evaluation.dataset.name}`,
    '',
    `Run \`${context.run.dir}\` (${context.run.recipe}), ${audioDrawnSentence(evaluation)}; seed ${evaluation.seed}; ${context.seconds} s.`,
    '',
    ...(context.generation ? [`Generation: ${context.generation}.`, ''] : []),
    '| metric | value | chance / real |',
    '| --- | ---: | ---: |',
    ...audioMetricRows(evaluation).map((row) => `| ${row.metric} | ${row.value} | ${row.reference} |`),
    '',
    `| ${evaluation.judge.attribute} | prompt | judged right |`,
    '| --- | --- | ---: |',
    ...Object.entries(evaluation.perClassAccuracy).map(
      ([value, accuracy]) => `| ${value} | ${evaluation.prompts[value] ?? ''} | ${percent(accuracy)} |`,
    ),
    '',
    `Judge \`${context.judgeDir}\` (WaveGAN classifier protocol: 128-bin log-mel, four conv blocks): held-out accuracy ${percent(evaluation.judge.accuracy)} on ${evaluation.judge.evaluatedOn}; trusted at ≥ ${percent(evaluation.judge.threshold)}.`,
    "Inception score: exp E[KL(p(y|x) ‖ p(y))] over 10 splits. Fréchet distance on the judge's penultimate features; the floor compares two halves of the real split.",
    `RMS level: the root mean square of every sample of the clips taken together (silence included), in dB relative to full scale. ${gainSentence(context.outputGainDb)}`,
  ];
  if (evaluation.warnings.length > 0)
    lines.push('', '**Warnings**', '', ...evaluation.warnings.map((warning) => `- ${warning}`));
  return `${lines.join('\n')}\n`;
}

export async function writeAudioReport(
  runDir: string,
  evaluation: TextToAudioEvaluation,
  context: AudioReportContext,
): Promise<{ json: string; markdown: string }> {
  const json = join(runDir, EVAL_JSON);
  const markdown = join(runDir, EVAL_MARKDOWN);
  await writeFileAtomic(
    json,
    `${JSON.stringify({ createdAt: new Date().toISOString(), mmgenVersion: mmgenVersion(), ...context, metrics: evaluation }, null, 2)}\n`,
  );
  await writeFileAtomic(markdown, renderAudioMarkdown(evaluation, context));
  return { json, markdown };
}
