// The joint evaluation as a report: every direction's Strict and Feats with chance, the CdSprites+ table
// (T→I, I→T, Joint) beside the best published multimodal VAE at the dataset's level, and FID/KID of the
// text→image pictures. Written as eval.json and eval.md (temporary names, then renamed).
import { join } from 'node:path';
import { writeFileAtomic } from '../data/files.js';
import type { ImageMetrics } from './images.js';
import type { JointEvaluation } from './joint.js';

/** Best of MVAE/MMVAE/MoPoE/DMVAE on CdSprites+ levels 1–5, Strict % (Sejnova et al.). */
export const CDSPRITES_LEADERBOARD = {
  textToImage: [52, 18, 8, 3, 0],
  imageToText: [64, 55, 59, 1, 0],
  joint: [17, 3, 1, 0, 0],
} as const;

const LETTER: Record<string, string> = { image: 'I', text: 'T', audio: 'A' };
const pct = (value: number | undefined): string => (value === undefined ? '—' : `${(value * 100).toFixed(1)} %`);

export interface JointReportContext {
  run: string;
  recipe: string;
  dataset: { name: string; builder: string; level?: number | undefined };
  /** The split translated (test unless asked; val reports go to eval-val.*). */
  split?: 'test' | 'val' | undefined;
  temperature: number;
  /** joint-diffusion: draws per output, the best kept (1 = no reranking). */
  candidates?: number | undefined;
  /** joint-diffusion: the draws were ranked also by the caption words their heads read. */
  captionWords?: boolean | undefined;
  /** joint-diffusion: the classifier-free guidance weight of translations. */
  guidance?: number | undefined;
  /** joint-diffusion: the sampler's stochasticity η. */
  eta?: number | undefined;
  fid?: ImageMetrics['distribution'] | undefined;
  seconds: number;
}

/** One line per direction: "T→I", "IA→T". */
export function directionName(from: readonly string[], to: string): string {
  return `${from.map((name) => LETTER[name] ?? name).join('')}→${LETTER[to] ?? to}`;
}

/** How many of a direction's commonest misses the report names. */
const MISSES_SHOWN = 3;

/** What each direction got wrong, commonest first ("shape square → heart 9"), so a shortfall names its cause. */
export function missLines(evaluation: JointEvaluation): string[] {
  const directions = [...evaluation.directions, ...(evaluation.reconstructions ?? [])];
  const lines = directions.flatMap((direction) => {
    const misses = Object.entries(direction.scores?.attributes ?? {})
      .flatMap(([name, accuracy]) => accuracy.misses.map((miss) => ({ name, ...miss })))
      .sort((a, b) => b.count - a.count)
      .slice(0, MISSES_SHOWN);
    if (misses.length === 0) return [];
    const named = misses.map((miss) => {
      const values = evaluation.attributes[miss.name] ?? [];
      const read = miss.predicted < 0 ? 'none' : (values[miss.predicted] ?? String(miss.predicted));
      return `${miss.name} ${values[miss.target] ?? miss.target} → ${read} ${miss.count}`;
    });
    const ceiling = direction.from.length === 1 && direction.from[0] === direction.to ? ' (ceiling)' : '';
    return [`- ${directionName(direction.from, direction.to)}${ceiling}: ${named.join(', ')}`];
  });
  return lines.length > 0 ? ['', 'Commonest misses (the value asked → the value read, rows)', '', ...lines] : [];
}

export function jointReportLines(evaluation: JointEvaluation, context: JointReportContext): string[] {
  const scored = Object.keys(evaluation.attributes).length > 0;
  const lines = [
    `# Joint evaluation of ${context.run} (${context.recipe})`,
    '',
    `Dataset ${context.dataset.name} (${context.dataset.builder}${context.dataset.level ? `, level ${context.dataset.level}` : ''}); ${evaluation.rows} ${context.split ?? 'test'} samples per direction, ` +
      `latents drawn at temperature ${context.temperature}${context.guidance !== undefined ? `, guidance ${context.guidance}` : ''}${context.eta ? `, η ${context.eta}` : ''}${(context.candidates ?? 1) > 1 ? `, the best of ${context.candidates} draws kept${context.captionWords ? ' (ranked by the score network and the caption words)' : ''}` : ''}; attributes scored: ${scored ? Object.keys(evaluation.attributes).join(', ') : 'none'}. ${context.seconds.toFixed(0)} s.`,
    ...(scored && evaluation.directions.length > 0
      ? ['', '| direction | Strict | chance | Feats | chance |', '| --- | --- | --- | --- | --- |']
      : []),
  ];
  for (const direction of evaluation.directions.filter((candidate) => scored || candidate.scores)) {
    const scores = direction.scores;
    lines.push(
      `| ${directionName(direction.from, direction.to)} | ${pct(scores?.strict.value)} | ${pct(scores?.strict.chance)} | ${pct(scores?.feats.value)} | ${pct(scores?.feats.chance)} |`,
    );
  }
  if (evaluation.joint) {
    const joint = evaluation.joint;
    lines.push(
      `| joint (${joint.modalities.map((name) => LETTER[name]).join('')} agree) | ${pct(joint.strict)} | | ${pct(joint.feats)} | |`,
    );
  }
  lines.push(...missLines(evaluation));
  const captioned = [...evaluation.directions, ...(evaluation.reconstructions ?? [])].filter(
    (direction) => direction.captions,
  );
  if (captioned.length > 0) {
    lines.push(
      '',
      "Generated captions against each test sample's references (its caption and alternatives); BLEU-4 is near 0 for captions under four words",
      '',
      '| direction | BLEU-1 | BLEU-4 | CIDEr-D |',
      '| --- | --- | --- | --- |',
      ...captioned.map(
        (direction) =>
          `| ${directionName(direction.from, direction.to)} | ${direction.captions?.bleu1.toFixed(3)} | ${direction.captions?.bleu4.toFixed(3)} | ${direction.captions?.ciderD.toFixed(3)} |`,
      ),
    );
  }
  const ceilings = (evaluation.reconstructions ?? []).filter((direction) => direction.scores);
  if (ceilings.length > 0 || evaluation.codec) {
    lines.push(
      '',
      'Ceilings: each modality from itself (a test row encoded and decoded), and the real clips through the spectrogram codec alone',
      '',
      '| reconstruction | Strict | Feats |',
      '| --- | --- | --- |',
      ...ceilings.map(
        (direction) =>
          `| ${directionName(direction.from, direction.to)} | ${pct(direction.scores?.strict.value)} | ${pct(direction.scores?.feats.value)} |`,
      ),
      ...(evaluation.codec
        ? [
            `| codec alone (real clips) | ${pct(evaluation.codec.strict.value)} | ${pct(evaluation.codec.feats.value)} |`,
          ]
        : []),
    );
  }
  const level = context.dataset.builder === 'shapes' ? context.dataset.level : undefined;
  if (level && level >= 1 && level <= 5 && evaluation.directions.length > 0) {
    const find = (from: string, to: string): number | undefined =>
      evaluation.directions.find((d) => d.from.length === 1 && d.from[0] === from && d.to === to)?.scores?.strict.value;
    lines.push(
      '',
      `CdSprites+ level ${level}, Strict: this run beside the best published multimodal VAE (MVAE, MMVAE, MoPoE, DMVAE; Sejnova et al.)`,
      '',
      '| | T→I | I→T | Joint |',
      '| --- | --- | --- | --- |',
      `| ${context.recipe} | ${pct(find('text', 'image'))} | ${pct(find('image', 'text'))} | ${pct(evaluation.joint?.strict)} |`,
      `| published best | ${CDSPRITES_LEADERBOARD.textToImage[level - 1]} % | ${CDSPRITES_LEADERBOARD.imageToText[level - 1]} % | ${CDSPRITES_LEADERBOARD.joint[level - 1]} % |`,
    );
  }
  if (context.fid) {
    const f = context.fid;
    lines.push(
      '',
      `Text→image pictures: FID ${f.fid.toFixed(3)} (real-vs-real floor ${f.fidRealFloor.toFixed(3)}), KID ${f.kid.mean.toFixed(4)} (floor ${f.kidRealFloor.mean.toFixed(4)}) on judge features, ${f.realImages} real ${f.realSplit} images.`,
    );
  }
  if (evaluation.notes.length > 0) lines.push('', ...evaluation.notes.map((note) => `- ${note}`));
  return lines;
}

export async function writeJointReport(
  runDir: string,
  evaluation: JointEvaluation,
  context: JointReportContext,
): Promise<{ json: string; markdown: string }> {
  const suffix = context.split === 'val' ? '-val' : '';
  const json = join(runDir, `eval${suffix}.json`);
  const markdown = join(runDir, `eval${suffix}.md`);
  await writeFileAtomic(json, `${JSON.stringify({ ...context, evaluation }, null, 2)}\n`);
  await writeFileAtomic(markdown, `${jointReportLines(evaluation, context).join('\n')}\n`);
  return { json, markdown };
}
