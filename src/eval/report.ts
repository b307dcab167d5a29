// The evaluation report of a run: eval.json (everything, machine-readable) and eval.md (a short
// table with chance levels and real-vs-real floors), each written to a temporary name and renamed.
import { join } from 'node:path';
import { mmgenVersion } from '../data/format.js';
import { writeFileAtomic } from '../data/files.js';
import type { ImageMetrics } from './images.js';
import type {
  CaptionResult,
  DrawnCaptions,
  SecondOpinion,
  TextToImageProtocol,
  UnknownWordsReport,
} from './text-to-image.js';

export const EVAL_JSON = 'eval.json';
export const EVAL_MARKDOWN = 'eval.md';

/** Where the numbers came from, recorded beside them. */
export interface ReportContext {
  run?: { dir: string; recipe?: string };
  judgeDir?: string;
  protocol?: TextToImageProtocol &
    Partial<DrawnCaptions> & { split: string; availableCaptions: number; unknownWords?: UnknownWordsReport };
  examples?: CaptionResult[];
  secondOpinion?: SecondOpinion;
  seconds?: number;
  /** How the run generated beyond drawing noise (discriminator rejection sampling). */
  generation?: string;
}

export interface MetricRow {
  metric: string;
  value: string;
  reference: string;
}

const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;

/** Rows of the summary table (the CLI prints the same rows). */
export function metricRows(metrics: ImageMetrics): MetricRow[] {
  const rows: MetricRow[] = [];
  const untrusted = (name: string): string => (metrics.judge.trusted[name] === true ? '' : ' (untrusted judge)');
  const scores = metrics.attributeScores;
  if (metrics.classAccuracy) {
    const { attribute, value, chance } = metrics.classAccuracy;
    rows.push({
      metric: `${attribute} accuracy${untrusted(attribute)}`,
      value: percent(value),
      reference: `chance ${percent(chance)}`,
    });
  } else if (scores) {
    const anyUntrusted = Object.keys(scores.attributes).some((name) => metrics.judge.trusted[name] !== true);
    const note = anyUntrusted ? ' (untrusted judge)' : '';
    rows.push({
      metric: `Strict (all ${scores.feats.of} attributes right)${note}`,
      value: percent(scores.strict.value),
      reference: `chance ${percent(scores.strict.chance)}`,
    });
    rows.push({
      metric: `Feats (mean attribute accuracy)${note}`,
      value: `${percent(scores.feats.value)} (${scores.feats.perImage.toFixed(2)} of ${scores.feats.of})`,
      reference: `chance ${percent(scores.feats.chance)}`,
    });
    for (const [name, score] of Object.entries(scores.attributes)) {
      rows.push({
        metric: `  ${name}${untrusted(name)}`,
        value: percent(score.accuracy),
        reference: `chance ${percent(score.chance)}`,
      });
    }
  }
  const distribution = metrics.distribution;
  if (distribution) {
    const real = `${distribution.realImages} real ${distribution.realSplit} images`;
    rows.push({
      metric: `FID (judge features, vs ${real})`,
      value: distribution.fid.toFixed(3),
      reference: `real vs real ${distribution.fidRealFloor.toFixed(3)}`,
    });
    rows.push({
      metric: `KID ×10³ (mean ± std over ${distribution.kid.subsets} subsets)`,
      value: `${(distribution.kid.mean * 1000).toFixed(3)} ± ${(distribution.kid.std * 1000).toFixed(3)}`,
      reference: `real vs real ${(distribution.kidRealFloor.mean * 1000).toFixed(3)} ± ${(distribution.kidRealFloor.std * 1000).toFixed(3)}`,
    });
  }
  return rows;
}

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');

/** What eval did with test captions whose words training never saw. */
export function unknownWordsSentence(unknown: UnknownWordsReport): string {
  const parts: string[] = [];
  if (unknown.captions > 0)
    parts.push(
      `${unknown.captions} of the drawn captions have words the model never saw in training (${unknown.words.join(', ')}); those words were left out of the prompts`,
    );
  if (unknown.skipped > 0) parts.push(`${unknown.skipped} test captions with no known word at all were not drawn`);
  return `${parts.join('; ')}.`;
}

type DrawnProtocol = Pick<TextToImageProtocol, 'captions' | 'imagesPerCaption'> &
  Partial<DrawnCaptions> & { split: string };

/**
 * What the judged images were generated from, counting samples and distinct captions apart: e.g. "250 test
 * samples drawn (187 distinct captions) × 4 images: 4–12 images per caption".
 */
export function drawnSentence(protocol: DrawnProtocol): string {
  const { captions, imagesPerCaption, split, distinctCaptions, imagesPerDistinctCaption } = protocol;
  const images = `${imagesPerCaption} image${imagesPerCaption === 1 ? '' : 's'}`;
  if (distinctCaptions === undefined || imagesPerDistinctCaption === undefined)
    return `${captions} ${split} captions × ${images}`;
  if (distinctCaptions === captions) return `${captions} distinct ${split} captions × ${images}`;
  const [fewest, most] = imagesPerDistinctCaption;
  const spread = fewest === most ? `${fewest}` : `${fewest}–${most}`;
  return `${captions} ${split} samples drawn (${distinctCaptions} distinct caption${distinctCaptions === 1 ? '' : 's'}) × ${images}: ${spread} images per caption`;
}

/** Where FID/KID's images came from, when not from the judged images. */
function fidSetSentence(protocol: DrawnProtocol): string {
  if (!(protocol.imagesPerCaption > 1 && protocol.distributionCaptions !== undefined)) return '';
  const distinct =
    protocol.distributionDistinctCaptions !== undefined
      ? `, ${protocol.distributionDistinctCaptions} distinct captions`
      : '';
  return ` FID/KID: ${protocol.captions * protocol.imagesPerCaption} more images from ${protocol.distributionCaptions} ${protocol.split} samples (each used once before any is used again${distinct}), as each real image has its own caption.`;
}

/** KID's spread and sign, in words: an unbiased estimate of a distance can come out below zero. */
export function kidSentence(kid: { subsets: number; subsetSize: number }): string {
  return `KID is the unbiased estimate of the squared MMD (cubic polynomial kernel), given as mean ± standard deviation over ${kid.subsets} random subsets of ${kid.subsetSize} (as the KID paper and torch-fidelity report it). Being unbiased, it can fall below zero when two sets are as alike as their sample sizes can tell, as the real-vs-real floor often is: a negative value means no measurable difference, not an error.`;
}

/** The markdown report. */
export function renderMarkdown(metrics: ImageMetrics, context: ReportContext = {}): string {
  const lines: string[] = [];
  const level = metrics.dataset.options.level;
  lines.push(`# Evaluation: ${metrics.dataset.name}${level !== undefined ? ` level ${String(level)}` : ''}`, '');
  const source = context.run
    ? `run \`${context.run.dir}\`${context.run.recipe ? ` (${context.run.recipe})` : ''}`
    : 'the given images';
  const protocol = context.protocol
    ? `${metrics.images} images from ${source}: ${drawnSentence(context.protocol)}; seed ${context.protocol.seed}.${fidSetSentence(context.protocol)}`
    : `${metrics.images} images from ${source}.`;
  lines.push(protocol, '');
  if (context.generation) lines.push(`Generation: ${context.generation}.`, '');
  const unknown = context.protocol?.unknownWords;
  if (unknown) lines.push(unknownWordsSentence(unknown), '');
  lines.push('| metric | value | chance / floor |', '| --- | ---: | ---: |');
  for (const row of metricRows(metrics))
    lines.push(`| ${escapeCell(row.metric.trim())} | ${escapeCell(row.value)} | ${escapeCell(row.reference)} |`);
  lines.push('');
  const accuracy = Object.entries(metrics.judge.accuracy)
    .map(([name, value]) => `${name} ${percent(value)}${metrics.judge.trusted[name] ? '' : ' (untrusted)'}`)
    .join(', ');
  lines.push(
    `Judge${context.judgeDir ? ` \`${context.judgeDir}\`` : ''}: held-out accuracy on ${metrics.judge.evaluatedOn}: ${accuracy}; trusted at ≥ ${percent(metrics.judge.threshold)}.`,
  );
  if (metrics.distribution) {
    const [standIn, rest] = metrics.distribution.floorImages;
    const splits = metrics.distribution.fidRealFloorSplits;
    lines.push(
      `FID/KID use the judge's ${metrics.distribution.featureDim}-d penultimate features; the real-vs-real floor compares ${standIn} real images (as many as were generated, at most half the split) with the other ${rest}, since FID's upward bias depends on the sample sizes. The FID floor is the mean over ${splits.length} seeded splits (${splits.map((value) => value.toFixed(3)).join(', ')}).`,
    );
    lines.push(kidSentence(metrics.distribution.kid));
  }
  if (context.secondOpinion) {
    const opinion = context.secondOpinion;
    const parts = Object.entries(opinion.perAttribute)
      .map(([name, value]) => `${name} ${percent(value)}`)
      .join(', ');
    lines.push(
      '',
      `Second opinion: captioner \`${opinion.reader}\` read the same ${opinion.images} images; its captions name every attribute right for ${percent(opinion.strict)} (${parts}).`,
    );
  }
  if (context.examples && context.examples.length > 0 && context.protocol) {
    lines.push('', '| caption | images with every attribute right |', '| --- | ---: |');
    for (const example of context.examples) {
      const asked = example.prompt !== undefined ? ` (asked: "${example.prompt}")` : '';
      lines.push(
        `| ${escapeCell(example.text + asked)} | ${example.allRight} / ${context.protocol.imagesPerCaption} |`,
      );
    }
  }
  if (metrics.warnings.length > 0) {
    lines.push('', '**Warnings**', '');
    for (const warning of metrics.warnings) lines.push(`- ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes eval.json and eval.md into runDir; returns their paths. */
export async function writeReport(
  runDir: string,
  metrics: ImageMetrics,
  context: ReportContext = {},
): Promise<{ json: string; markdown: string }> {
  const json = join(runDir, EVAL_JSON);
  const markdown = join(runDir, EVAL_MARKDOWN);
  const document = { createdAt: new Date().toISOString(), mmgenVersion: mmgenVersion(), ...context, metrics };
  await writeFileAtomic(json, `${JSON.stringify(document, null, 2)}\n`);
  await writeFileAtomic(markdown, renderMarkdown(metrics, context));
  return { json, markdown };
}
