// The evaluation report of a text→audio run: eval.json (everything) and eval.md (a table with chance,
// the real-data inception score and the real-vs-real Fréchet floor), written to temporary names and renamed.
import { join } from 'node:path';
import { mmgenVersion } from '../data/format.js';
import { writeFileAtomic } from '../data/files.js';
import { EVAL_JSON, EVAL_MARKDOWN, type MetricRow } from './report.js';
import type { TextToAudioEvaluation } from './text-to-audio.js';

export { evaluateTextToAudio } from './text-to-audio.js';

const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;

export function audioMetricRows(evaluation: TextToAudioEvaluation): MetricRow[] {
  const note = evaluation.judge.trusted ? '' : ' (untrusted judge)';
  const is = evaluation.inceptionScore;
  const real = evaluation.realInceptionScore;
  return [
    { metric: `${evaluation.judge.attribute} accuracy${note}`, value: percent(evaluation.accuracy), reference: `chance ${percent(evaluation.chance)}; real ${evaluation.realSplit} clips ${percent(evaluation.realAccuracy)}` },
    { metric: `inception score (${is.splits} splits)${note}`, value: `${is.mean.toFixed(3)} ± ${is.std.toFixed(3)}`, reference: `real ${real.mean.toFixed(3)} ± ${real.std.toFixed(3)} (${percent(evaluation.inceptionRatio)} of real)` },
    { metric: `Fréchet distance (judge features, vs ${evaluation.realClips} real ${evaluation.realSplit} clips)`, value: evaluation.frechetDistance.toFixed(3), reference: `real vs real ${evaluation.frechetRealFloor.toFixed(3)}` },
  ];
}

export interface AudioReportContext {
  run: { dir: string; recipe: string };
  judgeDir: string;
  seconds: number;
  /** How the run generated beyond drawing noise (discriminator rejection sampling). */
  generation?: string;
}

export function renderAudioMarkdown(evaluation: TextToAudioEvaluation, context: AudioReportContext): string {
  const lines = [
    `# Evaluation: ${evaluation.dataset.name}`, '',
    `${evaluation.clips} clips from run \`${context.run.dir}\` (${context.run.recipe}): ${evaluation.perClass} per ${evaluation.judge.attribute}, seed ${evaluation.seed}; ${context.seconds} s.`, '',
    ...(context.generation ? [`Generation: ${context.generation}.`, ''] : []),
    '| metric | value | chance / real |', '| --- | ---: | ---: |',
    ...audioMetricRows(evaluation).map((row) => `| ${row.metric} | ${row.value} | ${row.reference} |`), '',
    `| ${evaluation.judge.attribute} | prompt | judged right |`, '| --- | --- | ---: |',
    ...Object.entries(evaluation.perClassAccuracy).map(([value, accuracy]) => `| ${value} | ${evaluation.prompts[value] ?? ''} | ${percent(accuracy)} |`), '',
    `Judge \`${context.judgeDir}\` (WaveGAN classifier protocol: 128-bin log-mel, four conv blocks): held-out accuracy ${percent(evaluation.judge.accuracy)} on ${evaluation.judge.evaluatedOn}; trusted at ≥ ${percent(evaluation.judge.threshold)}.`,
    'Inception score: exp E[KL(p(y|x) ‖ p(y))] over 10 splits. Fréchet distance on the judge\'s penultimate features; the floor compares two halves of the real split.',
  ];
  if (evaluation.warnings.length > 0) lines.push('', '**Warnings**', '', ...evaluation.warnings.map((warning) => `- ${warning}`));
  return `${lines.join('\n')}\n`;
}

export async function writeAudioReport(runDir: string, evaluation: TextToAudioEvaluation, context: AudioReportContext): Promise<{ json: string; markdown: string }> {
  const json = join(runDir, EVAL_JSON);
  const markdown = join(runDir, EVAL_MARKDOWN);
  await writeFileAtomic(json, `${JSON.stringify({ createdAt: new Date().toISOString(), mmgenVersion: mmgenVersion(), ...context, metrics: evaluation }, null, 2)}\n`);
  await writeFileAtomic(markdown, renderAudioMarkdown(evaluation, context));
  return { json, markdown };
}
