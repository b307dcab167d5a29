// `mmgen train CONFIG [--out RUN] [--set key=value...]` and `mmgen train --resume RUN`.
import type { Command } from 'commander';
import { join } from 'node:path';
import { applyOverrides, readConfigFile } from '../../train/config.js';
import { resolveConfig } from '../../train/recipes.js';
import { interruptSignal, trainingProgress } from '../progress.js';
import { dataProgress } from '../data-progress.js';
import { checkOutputFolder } from '../output-folder.js';

interface TrainFlags { out?: string; set: string[]; resume?: string }

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a recipe from a YAML/JSON config, or resume a run')
    .argument('[config]', 'config file (YAML or JSON) with a "recipe" key')
    .option('--out <run>', 'run folder (default runs/<recipe>-<time>)')
    .option('--set <key=value>', 'override a config value (repeatable), e.g. --set training.steps=500', (value: string, all: string[]) => [...all, value], [])
    .option('--resume <run>', 'continue a run from its newest checkpoint')
    .action(async (configPath: string | undefined, flags: TrainFlags) => {
      let runDir: string;
      let raw;
      if (flags.resume) {
        runDir = flags.resume;
        raw = applyOverrides(await readConfigFile(join(runDir, 'config.json')), flags.set);
      } else {
        if (!configPath) throw new Error('give a config file (`mmgen train config.yaml`) or --resume RUN');
        raw = applyOverrides(await readConfigFile(configPath), flags.set);
        if (flags.out !== undefined) await checkOutputFolder(flags.out);
        runDir = flags.out ?? join('runs', `${String(raw.recipe)}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      }
      const { train } = resolveConfig(raw, flags.resume ? `${runDir}/config.json` : (configPath ?? 'config'));
      const progress = trainingProgress();
      const data = dataProgress();
      const interrupt = interruptSignal();
      try {
        await train({ runDir, resume: Boolean(flags.resume), onEvent: progress.onEvent, onData: data.onEvent, signal: interrupt.signal });
      } finally {
        progress.stop();
        data.stop();
        interrupt.release();
      }
    });
}
