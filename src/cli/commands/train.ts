// `mmgen train CONFIG [--out RUN] [--set key=value...]` and `mmgen train --resume RUN`;
// `--workers N` trains data-parallel in N local processes, `--rank/--world-size/--master` across hosts.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { applyOverrides, readConfigFile } from '../../train/config.js';
import { resolveConfig } from '../../train/recipes.js';
import { interruptSignal, trainingProgress } from '../progress.js';
import { dataProgress } from '../data-progress.js';
import { checkOutputFolder } from '../output-folder.js';
import { checkWorldSize, recordedWorldSize } from '../../train/distributed.js';
import { type DistributedFlags, collectiveTimeout, joinGroup, launchWorkers, workerCount } from './train-workers.js';

interface TrainFlags extends DistributedFlags {
  out?: string;
  set: string[];
  resume?: string;
}

/** The train arguments a worker process gets (everything but --workers; the run folder made explicit). */
function workerArguments(configPath: string | undefined, flags: TrainFlags, runDir: string): string[] {
  const args = flags.resume ? ['--resume', flags.resume] : [configPath ?? '', '--out', runDir];
  for (const value of flags.set) args.push('--set', value);
  return args;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a recipe from a YAML/JSON config, or resume a run')
    .argument('[config]', 'config file (YAML or JSON) with a "recipe" key')
    .option('--out <run>', 'run folder (default runs/<recipe>-<time>)')
    .option(
      '--set <key=value>',
      'override a config value (repeatable), e.g. --set training.steps=500',
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option('--resume <run>', 'continue a run from its newest checkpoint')
    .option(
      '--workers <n>',
      'data-parallel training in N processes on this host (the batch size is the global batch, split over them)',
    )
    .option(
      '--rank <r>',
      "this process's rank in a data-parallel run across hosts (0 hosts the store and writes the run)",
    )
    .option('--world-size <w>', 'how many processes the data-parallel run has in all')
    .option('--master <host:port>', 'where rank 0 hosts the store (rank 0 binds it; the others connect to it)')
    .option(
      '--timeout <seconds>',
      "how long joining and each collective may take before the run stops (default 300; the other ranks wait this long for rank 0's samples, evaluation and checkpoints)",
    )
    .action(async (configPath: string | undefined, flags: TrainFlags) => {
      const workers = workerCount(flags);
      const timeoutSeconds = collectiveTimeout(flags);
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
      // a resume under another world size is refused here, before any process starts (the loop checks again)
      const recorded = flags.resume ? await recordedWorldSize(runDir) : undefined;
      const requested =
        workers ?? (flags.worldSize !== undefined && /^\d+$/.test(flags.worldSize) ? Number(flags.worldSize) : 1);
      if (recorded !== undefined) checkWorldSize(recorded, requested, runDir);
      if (workers !== undefined && workers > 1) {
        await launchWorkers(workers, workerArguments(configPath, flags, runDir), timeoutSeconds);
        return;
      }
      const group = joinGroup(flags);
      const quiet = group !== undefined && group.rank !== 0;
      const progress = quiet ? undefined : trainingProgress();
      const data = quiet ? undefined : dataProgress();
      const interrupt = interruptSignal();
      // a new run that fails before its first checkpoint (a bad `from`, a missing dataset) leaves no folder behind
      const newFolder = !flags.resume && group === undefined && !existsSync(runDir);
      try {
        await train({
          runDir,
          resume: Boolean(flags.resume),
          ...(progress ? { onEvent: progress.onEvent } : {}),
          ...(data ? { onData: data.onEvent } : {}),
          signal: interrupt.signal,
          ...(group ? { processGroup: group } : {}),
        });
      } catch (error) {
        if (newFolder && !existsSync(join(runDir, 'state.json'))) await rm(runDir, { recursive: true, force: true });
        throw error;
      } finally {
        progress?.stop();
        data?.stop();
        interrupt.release();
        group?.destroy();
      }
    });
}
