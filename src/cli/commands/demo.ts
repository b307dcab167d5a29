// `mmgen demo`: the README's main job, from a fresh clone: builds a small shapes dataset, trains its
// judge, trains text2image-gan for a few minutes with a progress bar, writes a sample grid, and prints
// the text→image accuracy (Strict/Feats with chance) and the paths of the images.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDataset } from '../../data/builders/index.js';
import { writeContactSheet } from '../../modalities/image/index.js';
import { loadRun } from '../../models/run/load-run.js';
import { resolveConfig } from '../../train/recipes.js';
import { dataProgress } from '../data-progress.js';
import { interruptSignal, trainingProgress } from '../progress.js';
import { defaultJudgeDir, runEval, runTrainJudge } from './eval.js';
import { integerFlag } from '../flags.js';
import { checkOutputFolder } from '../output-folder.js';

interface DemoFlags { level: string; count: string; steps: string; out: string; data?: string; judgeSteps: string; captions: string }

const DEMO_PROMPTS = ['big red square', 'small blue heart', 'big yellow ellipse', 'small pink square', 'big green heart', 'small red ellipse'];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('build a shapes dataset, train text→image for a few minutes, show samples and accuracy')
    .option('--level <n>', 'shapes level 1-5 (3: shape, size and colour)', '3')
    .option('--count <n>', 'dataset size', '3000')
    .option('--steps <n>', 'GAN training steps', '300')
    .option('--judge-steps <n>', 'judge training steps (only when no judge exists yet)', '800')
    .option('--captions <n>', 'test captions for the accuracy check', '100')
    .option('--out <dir>', 'run folder', 'runs/demo')
    .option('--data <dir>', 'dataset folder (default datasets/demo-shapes-l<level>)')
    .action(async (flags: DemoFlags) => {
      const level = integerFlag(flags.level, '--level');
      if (level > 5) throw new Error(`--level must be 1 to 5, got ${level}`);
      const datasetDir = flags.data ?? join('datasets', `demo-shapes-l${level}`);
      await checkOutputFolder(flags.out);
      await checkOutputFolder(datasetDir, '--data');
      const say = (line: string): void => void process.stdout.write(`\n== ${line}\n`);
      if (!existsSync(join(datasetDir, 'dataset.json'))) {
        say(`1/4 building shapes level ${level} (${flags.count} samples) in ${datasetDir}`);
        const data = dataProgress();
        try {
          await buildDataset({ builder: 'shapes', out: datasetDir, seed: 0, options: { level, count: integerFlag(flags.count, '--count') }, onEvent: data.onEvent });
        } finally {
          data.stop();
        }
      } else say(`1/4 using the dataset in ${datasetDir}`);
      if (!existsSync(join(defaultJudgeDir(datasetDir), 'judge.json'))) {
        say('2/4 training the judge that scores generated images');
        await runTrainJudge(datasetDir, { steps: flags.judgeSteps, seed: '0', batch: '64' });
      } else say(`2/4 using the judge in ${defaultJudgeDir(datasetDir)}`);
      say(`3/4 training text2image-gan for ${flags.steps} steps (Ctrl-C stops with a checkpoint)`);
      const steps = integerFlag(flags.steps, '--steps');
      const { train } = resolveConfig({
        recipe: 'text2image-gan', dataset: datasetDir, seed: 0,
        // a lighter generator than the recipe default: the demo should finish in a few minutes
        model: { generatorChannels: 128 },
        // a short classifier warm-up (cheap steps) leaves most of the demo to the GAN
        training: { steps, classifierWarmup: Math.min(100, Math.floor(steps / 4)), sampleEvery: 100, checkpointEvery: 200, logEvery: 1 },
      }, 'demo config');
      await rm(flags.out, { recursive: true, force: true });
      const progress = trainingProgress();
      const data = dataProgress();
      const interrupt = interruptSignal();
      try {
        await train({ runDir: flags.out, onEvent: progress.onEvent, onData: data.onEvent, signal: interrupt.signal });
      } finally {
        progress.stop();
        data.stop();
        interrupt.release();
      }
      const run = await loadRun(flags.out);
      const grid = join(flags.out, 'demo-grid.png');
      try {
        const images = await run.generate(DEMO_PROMPTS, { n: 4, seed: 1 });
        const tiles = images.flatMap((output) => (output.kind === 'image' ? [{ image: output.image, caption: output.text ?? '' }] : []));
        await writeContactSheet(grid, tiles, { columns: 4, tileSize: [96, 96] });
      } finally {
        run.dispose();
      }
      say('4/4 judging generated images against the prompts');
      await runEval(flags.out, { captions: flags.captions, perCaption: '2', seed: '0', batch: '100', kidSubsets: '20' });
      process.stdout.write(`\nsample grid (fixed prompts, watched during training): ${join(flags.out, 'samples', 'latest.png')}\n`);
      process.stdout.write(`demo prompts: ${grid}\n`);
      process.stdout.write(`try: node bin/mmgen.js generate ${flags.out} --text "big blue heart" --n 8\n`);
    });
}
