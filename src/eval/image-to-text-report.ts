// The report of an image→text evaluation: one table with the captioner, the nearest-neighbour baseline
// and chance side by side, written as eval.json and eval.md (temporary name, then rename).
import { join } from 'node:path';
import { mmgenVersion } from '../data/format.js';
import { writeFileAtomic } from '../data/files.js';
import { EVAL_JSON, EVAL_MARKDOWN } from './report.js';
import type { CaptionScores, ImageToTextEvaluation } from './image-to-text.js';

export interface CaptionRow {
  metric: string;
  captioner: string;
  neighbour: string;
  chance: string;
}

const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;

/** Rows of the summary table (the CLI prints the same rows). */
export function captionRows(evaluation: Pick<ImageToTextEvaluation, 'captioner' | 'nearestNeighbour'>): CaptionRow[] {
  const { captioner: model, nearestNeighbour: baseline } = evaluation;
  const rows: CaptionRow[] = [];
  const both = (metric: string, value: (scores: CaptionScores) => string, chance = ''): void => {
    rows.push({ metric, captioner: value(model), neighbour: value(baseline), chance });
  };
  const modelProtocol = model.protocol;
  const baselineProtocol = baseline.protocol;
  if (modelProtocol && baselineProtocol) {
    const names = Object.keys(modelProtocol.attributes.attributes);
    both(
      'Strict (whole caption right)',
      (scores) => percent(scores.protocol?.strict.value ?? 0),
      percent(modelProtocol.strict.chance),
    );
    const feats = modelProtocol.attributes.feats;
    if (names.length > 1)
      both(
        `Feats (attributes read from the words, of ${feats.of})`,
        (scores) => percent(scores.protocol?.attributes.feats.value ?? 0),
        percent(feats.chance),
      );
    for (const name of names) {
      const score = modelProtocol.attributes.attributes[name];
      both(
        `${names.length > 1 ? '  ' : ''}${name} named right`,
        (scores) => percent(scores.protocol?.attributes.attributes[name]?.accuracy ?? 0),
        percent(score?.chance ?? 0),
      );
    }
    both(
      'Letters (position-wise characters)',
      (scores) => percent(scores.protocol?.letters.value ?? 0),
      percent(modelProtocol.letters.chance),
    );
  }
  for (let n = 0; n < 4; n++) both(`BLEU-${n + 1}`, (scores) => (scores.bleu[n] as number).toFixed(3));
  both('CIDEr-D', (scores) => scores.ciderD.toFixed(3));
  return rows;
}

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');

/** Where a caption evaluation was run from; `ensembledWith` lists the other runs of an ensemble. */
export interface CaptionReportContext {
  runDir: string;
  recipe: string;
  decoding: string;
  ensembledWith?: string[];
}

export function renderCaptionMarkdown(evaluation: ImageToTextEvaluation, context: CaptionReportContext): string {
  const others = context.ensembledWith ?? [];
  const by =
    others.length > 0
      ? `an ensemble of runs ${[context.runDir, ...others].map((run) => `\`${run}\``).join(', ')}`
      : `run \`${context.runDir}\``;
  const level = evaluation.dataset.options.level;
  const lines = [
    `# Evaluation: ${evaluation.dataset.name}${level !== undefined ? ` level ${String(level)}` : ''} image→text`,
    '',
    `${evaluation.images} ${evaluation.split} images captioned by ${by} (${context.recipe}, ${context.decoding}) at ${evaluation.seconds.imagesPerSecond} images/s.`,
    `Nearest neighbour: the caption of the closest of ${evaluation.trainImages} training images in ${evaluation.neighbourSpace}.`,
    '',
    '| metric | captioner | nearest neighbour | chance |',
    '| --- | ---: | ---: | ---: |',
    ...captionRows(evaluation).map(
      (row) => `| ${escapeCell(row.metric.trim())} | ${row.captioner} | ${row.neighbour} | ${row.chance} |`,
    ),
    '',
    `BLEU and CIDEr-D as the COCO caption toolkit computes them (corpus BLEU with the closest reference length; CIDEr-D with σ = 6, ×10, document frequencies over the ${evaluation.split} references).`,
    '',
    '| reference | captioner | nearest neighbour |',
    '| --- | --- | --- |',
    ...evaluation.examples.map(
      (example) =>
        `| ${escapeCell(example.reference)} | ${escapeCell(example.captioner)} | ${escapeCell(example.nearestNeighbour)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export async function writeCaptionReport(
  runDir: string,
  evaluation: ImageToTextEvaluation,
  context: CaptionReportContext & { seconds: number },
): Promise<{ json: string; markdown: string }> {
  // neither an ensemble's evaluation nor a val-split one (choosing decoding settings) may overwrite the run's test report
  const suffix = `${(context.ensembledWith ?? []).length > 0 ? '-ensemble' : ''}${evaluation.split === 'test' ? '' : `-${evaluation.split}`}`;
  const json = join(runDir, EVAL_JSON.replace(/\.json$/, `${suffix}.json`));
  const markdown = join(runDir, EVAL_MARKDOWN.replace(/\.md$/, `${suffix}.md`));
  await writeFileAtomic(
    json,
    `${JSON.stringify({ createdAt: new Date().toISOString(), mmgenVersion: mmgenVersion(), kind: 'image-to-text', ...context, ...evaluation }, null, 2)}\n`,
  );
  await writeFileAtomic(markdown, renderCaptionMarkdown(evaluation, context));
  return { json, markdown };
}
