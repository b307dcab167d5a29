// `mmgen eval train-judge DATASET`: trains the judge that `mmgen eval` scores a dataset's runs with (an image judge,
// or an audio one for a dataset of sounds) and prints its held-out accuracy per attribute.
import { join } from 'node:path';
import { DEFAULT_JUDGE_STEPS, trainJudge } from '../../models/judge-train.js';
import { type TrainJudgeFlags, judgeTrainingSettings, saveTrainedJudge, withJudgeProgress } from '../judge-progress.js';
import { isAudioDataset, runTrainAudioJudge } from './eval-audio.js';
import { percent } from '../flags.js';
import { checkOutputFolder } from '../output-folder.js';

/** The default judge folder of a dataset. */
export const defaultJudgeDir = (datasetDir: string): string => join(datasetDir, 'judge');

export async function runTrainJudge(datasetDir: string, flags: TrainJudgeFlags): Promise<void> {
  if (flags.out !== undefined) await checkOutputFolder(flags.out);
  if (await isAudioDataset(datasetDir)) return runTrainAudioJudge(datasetDir, flags, defaultJudgeDir(datasetDir));
  const out = flags.out ?? defaultJudgeDir(datasetDir);
  const settings = judgeTrainingSettings(flags, DEFAULT_JUDGE_STEPS);
  const result = await withJudgeProgress((onEvent, signal) =>
    trainJudge({
      dataset: datasetDir,
      ...settings,
      ...(flags.attributes !== undefined
        ? {
            attributes: flags.attributes
              .split(',')
              .map((name) => name.trim())
              .filter((name) => name !== ''),
          }
        : {}),
      onEvent,
      signal,
    }),
  );
  await saveTrainedJudge(result, out, { name: 'judge', samples: 'images' }, (judge) => {
    const info = judge.info;
    process.stdout.write(
      `held-out accuracy on ${info.evaluation.samples} real ${info.evaluation.split} images (trusted at ≥ ${percent(info.threshold)}):\n`,
    );
    const nameWidth = Math.max(...judge.attributeNames.map((name) => name.length));
    for (const name of judge.attributeNames) {
      const trusted = info.trusted[name] === true;
      process.stdout.write(
        `  ${name.padEnd(nameWidth)}  ${percent(info.accuracy[name] ?? 0).padStart(7)}  ${trusted ? 'trusted' : 'NOT TRUSTED'}\n`,
      );
    }
    const untrusted = judge.untrusted();
    if (untrusted.length > 0) {
      process.stderr.write(
        `warning: ${untrusted.join(', ')} below ${percent(info.threshold)}; eval will flag these verdicts. Train longer (e.g. --steps ${settings.steps * 2}).\n`,
      );
    }
  });
}
