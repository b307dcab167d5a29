// `mmgen demo`: the README's main job. First what trained models do — the runs mmgen trained itself and ships
// in demo/ (text → image, image → text, text → sound, sound → text, joint samples), each scored now on a freshly
// built dataset they never saw — written as one sheet to look at and WAVs to play, with the numbers beside
// them. Then a small joint model trains live for a few minutes with the progress bar, and its samples and
// numbers go beside the shipped run's: a new score network (the part of joint-diffusion that fuses the
// modalities) over the shipped run's autoencoders, so a few minutes are enough to see it work.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDataset } from '../../data/builders/index.js';
import { readDataset } from '../../data/format.js';
import { writeFileAtomic } from '../../data/files.js';
import { captionedAttributes } from '../../eval/image-to-text.js';
import { directionName } from '../../eval/joint-report.js';
import type { JointEvaluation } from '../../eval/joint.js';
import { loadJointRun } from '../../models/joint-run.js';
import { Judge } from '../../models/judge.js';
import { loadTranscriberRun } from '../../models/transcriber-run.js';
import { readRunConfig } from '../../models/run-files.js';
import type { JsonObject } from '../../train/config.js';
import { resolveConfig } from '../../train/recipes.js';
import { loadJointSplit } from '../../train/sessions/joint.js';
import { dataProgress } from '../data-progress.js';
import { type ShownTask, showSoundToText, showTextToSound } from '../demo/one-way.js';
import { type DemoSection, writeDemoSheet } from '../demo/sheet.js';
import { SHIPPED, jointExamples } from '../demo/shipped.js';
import { integerFlag, numberFlag } from '../flags.js';
import { checkOutputFolder } from '../output-folder.js';
import { interruptSignal, trainingProgress } from '../progress.js';
import { evaluateJointRun, rowsAsInputs, transcribeClips } from './eval-joint.js';

interface DemoFlags {
  out: string;
  data?: string;
  count: string;
  minutes: string;
  rows: string;
  seed: string;
  live: boolean;
}

const percent = (right: number, total: number): string => `${((100 * right) / Math.max(1, total)).toFixed(0)} %`;
const PER_ROW = 6;

/** The joint numbers a newcomer reads: each direction's Strict, and joint coherence. */
function jointNumbers(evaluation: JointEvaluation): [string, string][] {
  const rows: [string, string][] = evaluation.directions
    .filter((direction) => direction.scores && direction.from.length === 1)
    .map((direction) => [directionName(direction.from, direction.to), percent(direction.scores?.strict.value ?? 0, 1)]);
  if (evaluation.joint)
    rows.push([`joint (${evaluation.joint.modalities.join(', ')} agree)`, percent(evaluation.joint.strict, 1)]);
  return rows;
}

function missingShipped(): string[] {
  return Object.values(SHIPPED).filter((path) => !existsSync(path));
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'show what the shipped runs do (text↔image, text↔sound, joint samples) on fresh data, then train a small joint model live',
    )
    .option('--out <dir>', 'output folder (sheet, WAVs, report)', 'runs/demo')
    .option('--data <dir>', 'dataset folder (default datasets/demo-shapes-spoken-l3, built if missing)')
    .option('--count <n>', 'spoken shapes built for the demo (level 3)', '600')
    .option('--minutes <m>', 'minutes of live joint training (0 skips it)', '3')
    .option('--rows <n>', 'test rows each direction is scored on', '50')
    .option('--seed <seed>', 'generation seed', '0')
    .option('--no-live', 'skip the live training')
    .action(async (flags: DemoFlags) => {
      const started = performance.now();
      const minutes = flags.live ? numberFlag(flags.minutes, '--minutes', 0, 120) : 0;
      const rows = integerFlag(flags.rows, '--rows', 1);
      const seed = integerFlag(flags.seed, '--seed', 0);
      const datasetDir = flags.data ?? join('datasets', 'demo-shapes-spoken-l3');
      await checkOutputFolder(flags.out);
      await checkOutputFolder(datasetDir, '--data');
      const missing = missingShipped();
      if (missing.length > 0)
        throw new Error(
          `the shipped runs are missing (${missing.join(', ')}); they come with the repository: \`git checkout -- demo\``,
        );
      const say = (line: string): void => void process.stdout.write(`\n== ${line}\n`);
      if (!existsSync(join(datasetDir, 'dataset.json'))) {
        say(
          `1/4 building ${flags.count} spoken shapes (level 3: shape, size, colour) in ${datasetDir}; the shipped runs never saw them`,
        );
        const data = dataProgress();
        try {
          await buildDataset({
            builder: 'shapes',
            out: datasetDir,
            seed: 1,
            options: { level: 3, count: integerFlag(flags.count, '--count', 50), spoken: true },
            onEvent: data.onEvent,
          });
        } finally {
          data.stop();
        }
      } else say(`1/4 using the spoken shapes in ${datasetDir}`);
      await rm(join(flags.out, 'wavs'), { recursive: true, force: true });
      await mkdir(flags.out, { recursive: true });
      const wavFolder = join(flags.out, 'wavs');
      const dataset = await readDataset(datasetDir);

      say('2/4 the shipped runs on these shapes');
      const judge = await Judge.load(SHIPPED.shapesJudge);
      const transcriber = (await loadTranscriberRun(SHIPPED.soundToText)).model;
      const sections: DemoSection[] = [];
      const report: string[] = ['| run | task | score |', '| --- | --- | ---: |'];
      const showJoint = async (runDir: string, label: string): Promise<void> => {
        const model = await loadJointRun(runDir);
        const split = await loadJointSplit(dataset, model, { split: 'test' });
        try {
          const attributes = captionedAttributes(dataset, split.entries);
          if (!attributes)
            throw new Error(
              `${datasetDir} has no judged attributes; rebuild it with \`mmgen demo\` (delete the folder first)`,
            );
          const hear = (clips: readonly Float32Array[]): string[] =>
            transcribeClips(transcriber, clips, model.shapes.audio?.samples ?? 0);
          const { evaluation } = await evaluateJointRun(runDir, model, {
            data: datasetDir,
            judge,
            transcriber: { name: SHIPPED.soundToText, model: transcriber },
            rows,
            samples: rows,
            seed,
            temperature: 1,
            distribution: false,
            onProgress: (done, total, what) => process.stderr.write(`scoring ${label} ${done}/${total}: ${what}\n`),
          });
          const numbers = jointNumbers(evaluation);
          report.push(`| ${label} (${model.recipe}) | samples from | ${model.samplingSource()} |`);
          for (const [task, score] of numbers)
            report.push(`| ${label} (${model.recipe}) | ${task} | Strict ${score} |`);
          const examples = await jointExamples({
            model,
            split,
            attributes,
            judge,
            hear,
            rowsAsInputs,
            count: PER_ROW,
            seed,
            folder: join(wavFolder, label),
            label,
          });
          const score = (title: string): string => {
            const key = title
              .replace(`${label} `, '')
              .replace('text → image', 'T→I')
              .replace('image → text', 'I→T')
              .replace('text → sound', 'T→A')
              .replace('joint samples', 'joint');
            return numbers.find(([task]) => task.startsWith(key))?.[1] ?? '';
          };
          sections.push(
            ...examples.sections.map((section) => ({ ...section, score: `Strict ${score(section.title)}` })),
          );
          process.stdout.write(
            `  ${label} samples from ${model.samplingSource()}\n${numbers.map(([task, value]) => `  ${label} ${task.padEnd(28)} Strict ${value}`).join('\n')}\n`,
          );
        } finally {
          split.dispose();
          model.dispose();
        }
      };
      const showOneWay = (task: ShownTask, run: string): void => {
        sections.push({
          title: task.title,
          score: `${percent(task.right, task.total)} of ${task.total}`,
          tiles: task.tiles,
        });
        report.push(`| ${run} | ${task.title} | ${percent(task.right, task.total)} of ${task.total} |`);
        process.stdout.write(`  ${task.title.padEnd(40)} ${percent(task.right, task.total)} right of ${task.total}\n`);
      };
      try {
        await showJoint(SHIPPED.joint, 'shipped');
        showOneWay(
          await showTextToSound(SHIPPED.textToSound, SHIPPED.digitsJudge, join(wavFolder, 'digits'), {
            perDigit: 10,
            seed,
            shown: PER_ROW,
          }),
          'shipped spoken-digits-gan',
        );
        const testSplit = await loadJointSplit(
          dataset,
          { shapes: { tokenizer: transcriber.tokenizer, audio: transcriber.audio }, codec: undefined },
          { split: 'test' },
        );
        try {
          const attributes = captionedAttributes(dataset, testSplit.entries) ?? {};
          showOneWay(
            await showSoundToText(SHIPPED.soundToText, testSplit, attributes, { rows, shown: PER_ROW }),
            'shipped transcriber',
          );
        } finally {
          testSplit.dispose();
        }

        const liveRun = join(flags.out, 'live-joint');
        if (minutes > 0) {
          say(
            `3/4 training a joint model's fusion live for ${minutes} minutes on ${datasetDir}: a new score network (joint-diffusion) over the shipped run's autoencoders (Ctrl-C stops with a checkpoint)`,
          );
          const shipped = await readRunConfig(SHIPPED.joint);
          const { train } = resolveConfig(
            {
              recipe: 'joint-diffusion',
              dataset: datasetDir,
              seed,
              model: shipped.model as JsonObject,
              training: {
                autoencoder: { from: SHIPPED.joint },
                score: { steps: 100000 },
                timeLimitMinutes: minutes,
                sampleEvery: 100000,
                checkpointEvery: 500,
              },
              sampling: shipped.sampling as JsonObject,
            },
            'demo config',
          );
          await rm(liveRun, { recursive: true, force: true });
          const progress = trainingProgress();
          const data = dataProgress();
          const interrupt = interruptSignal();
          try {
            await train({ runDir: liveRun, onEvent: progress.onEvent, onData: data.onEvent, signal: interrupt.signal });
          } finally {
            progress.stop();
            data.stop();
            interrupt.release();
          }
          say('4/4 the live model beside the shipped one');
          await showJoint(liveRun, 'live');
        } else say('3/4 live training skipped (--minutes 0 or --no-live)');
      } finally {
        transcriber.dispose();
        judge.dispose();
      }
      const sheet = await writeDemoSheet(join(flags.out, 'demo.png'), sections, PER_ROW);
      const minutesTaken = (performance.now() - started) / 60000;
      await writeFileAtomic(
        join(flags.out, 'demo.md'),
        `# mmgen demo\n\n![demo](demo.png)\n\nScored on ${rows} test rows of ${datasetDir} (never seen by the shipped runs); ${minutesTaken.toFixed(1)} minutes.\n\n${report.join('\n')}\n`,
      );
      process.stdout.write(
        `\nsheet (every task, a row each): ${sheet}\nWAVs to play: ${wavFolder}/\nnumbers: ${join(flags.out, 'demo.md')}\n`,
      );
      process.stdout.write(`demo took ${minutesTaken.toFixed(1)} minutes\n`);
      process.stdout.write(
        `try: node bin/mmgen.js translate ${SHIPPED.joint} --text "big red heart" --to image,audio --n 4\n`,
      );
    });
}
