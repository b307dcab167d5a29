// `mmgen eval RUN` for a captioner: the image→text protocol on the test split with the nearest-neighbour
// baseline (judge features when the dataset has a judge, else the captioner's own encoder features).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Judge } from '../../models/judge.js';
import { loadCaptionerEnsemble } from '../../models/captioner-ensemble.js';
import { type FeatureSpace, evaluateImageToText } from '../../eval/image-to-text.js';
import { captionRows, writeCaptionReport } from '../../eval/image-to-text-report.js';
import { dataProgress } from '../data-progress.js';
import { interruptSignal } from '../progress.js';
import { integerFlag, splitFlag } from '../flags.js';
import { type SearchFlags, describeSearch, searchOptions } from '../search-flags.js';

export interface CaptionEvalFlags extends SearchFlags {
  with?: string[];
  judge?: string;
  limit?: string;
  split?: string;
  batch: string;
}

export async function runCaptionEval(runDir: string, flags: CaptionEvalFlags): Promise<void> {
  const started = performance.now();
  const search = searchOptions(flags);
  const split = splitFlag(flags.split);
  const others = flags.with ?? [];
  const { ensemble, first: run } = await loadCaptionerEnsemble(runDir, others);
  let judge: Judge | undefined;
  const data = dataProgress();
  const interrupt = interruptSignal('evaluation');
  try {
    if (!existsSync(run.dataset))
      throw new Error(
        `${runDir} was trained on ${run.dataset}, which does not exist here; rebuild it with \`mmgen data build\` at that path`,
      );
    const judgeDir = flags.judge ?? join(run.dataset, 'judge');
    if (existsSync(join(judgeDir, 'judge.json'))) judge = await Judge.load(judgeDir);
    else if (flags.judge)
      throw new Error(
        `no judge at ${flags.judge}; train one with \`mmgen eval train-judge DATASET --out ${flags.judge}\``,
      );
    const model = run.model;
    const decoding = { ...run.config.decoding, ...search };
    const loadedJudge = judge;
    const neighbourSpace: FeatureSpace = loadedJudge
      ? { name: `judge features (${judgeDir})`, features: (images) => loadedJudge.features(images) }
      : {
          name: "the captioner's own encoder features (mean over the feature map; the dataset has no judge)",
          features: (images) => model.features(images),
        };
    const evaluation = await evaluateImageToText({
      captioner: { caption: (images) => ensemble.caption(images, decoding).map((caption) => caption.text) },
      neighbourSpace,
      dataset: run.dataset,
      ...(split ? { split } : {}),
      batchSize: integerFlag(flags.batch, '--batch', 1),
      ...(flags.limit !== undefined ? { limit: integerFlag(flags.limit, '--limit', 1) } : {}),
      onEvent: data.onEvent,
      signal: interrupt.signal,
    });
    data.stop();
    const decodingText = describeSearch(decoding);
    const paths = await writeCaptionReport(runDir, evaluation, {
      runDir,
      recipe: 'captioner',
      decoding: decodingText,
      ...(others.length > 0 ? { ensembledWith: others } : {}),
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    });
    const who = others.length > 0 ? `${[runDir, ...others].join(' + ')} (captioner ensemble` : `${runDir} (captioner`;
    process.stdout.write(
      `${who}, ${decodingText}) on ${evaluation.dataset.name}: ${evaluation.images} ${evaluation.split} images, ${evaluation.seconds.imagesPerSecond} images/s\n`,
    );
    const rows = [
      { metric: 'metric', captioner: 'captioner', neighbour: 'nearest neighbour', chance: 'chance' },
      ...captionRows(evaluation),
    ];
    const width = (key: 'metric' | 'captioner' | 'neighbour') => Math.max(...rows.map((row) => row[key].length));
    for (const row of rows)
      process.stdout.write(
        `  ${row.metric.padEnd(width('metric'))}  ${row.captioner.padStart(width('captioner'))}  ${row.neighbour.padStart(width('neighbour'))}  ${row.chance}\n`,
      );
    process.stdout.write(
      `nearest neighbour in ${evaluation.neighbourSpace}\nreport: ${paths.markdown} and ${paths.json}\n`,
    );
  } finally {
    data.stop();
    interrupt.release();
    judge?.dispose();
    ensemble.dispose();
  }
}
