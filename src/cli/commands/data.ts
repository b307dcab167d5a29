// `mmgen data build NAME` and `mmgen data show DIR`: build datasets (progress bars, Ctrl-C leaves
// nothing behind) and look at them (contact sheet + counts).
import type { Command } from 'commander';
import {
  BUILDERS,
  builderOptions,
  buildDataset,
  parseBuilderArguments,
  showDataset,
  type DatasetCounts,
} from '../../data/builders/index.js';
import { SPLITS, type Split } from '../../data/index.js';
import { dataProgress } from '../data-progress.js';
import { checkOutputFolder } from '../output-folder.js';

function builderHelp(): string {
  const lines = ['', 'Builders and their options:'];
  for (const builder of BUILDERS) {
    lines.push(`  ${builder.name} — ${builder.summary}`);
    for (const option of builderOptions(builder.name)) {
      const value =
        option.kind === 'boolean'
          ? ''
          : option.choices
            ? ` <${option.choices.join('|')}>`
            : ` <${option.kind === 'number' ? 'n' : 'value'}>`;
      const shown =
        typeof option.defaultValue === 'number' && !Number.isInteger(option.defaultValue)
          ? Number(option.defaultValue.toPrecision(3))
          : option.defaultValue;
      const fallback =
        option.defaultValue !== undefined && option.kind !== 'boolean' ? ` (default ${String(shown)})` : '';
      lines.push(`      ${option.flag}${value}  ${option.description}${fallback}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 0;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got "${text}"`);
  return seed;
}

function formatCounts(counts: DatasetCounts): string {
  const row = (c: { train: number; val: number; test: number; total: number }): string =>
    `${c.total} (train ${c.train}, val ${c.val}, test ${c.test})`;
  const lines = [`samples: ${row(counts.splits)}`];
  for (const [name, values] of Object.entries(counts.attributes)) {
    const entries = Object.entries(values);
    lines.push(`${name} (${entries.length} values):`);
    for (const [value, split] of entries.slice(0, 30)) lines.push(`  ${value.padEnd(24)} ${row(split)}`);
    if (entries.length > 30) lines.push(`  … ${entries.length - 30} more`);
  }
  return lines.join('\n');
}

export function registerData(program: Command): void {
  const data = program.command('data').description('build and inspect datasets');

  data
    .command('build')
    .description('build a dataset into a folder (manifest.jsonl + dataset.json + files)')
    .argument('<name>', `builder: ${BUILDERS.map((builder) => builder.name).join(', ')}`)
    .argument('[options...]', 'builder options, e.g. --count 1000 --level 3')
    .option('--out <dir>', 'output folder (default data/NAME)')
    .option('--seed <n>', 'random seed (same seed, same dataset)', '0')
    .option('--overwrite', 'replace the output folder if it exists')
    .option('--concurrency <n>', 'files encoded / espeak-ng processes in parallel', '2')
    .allowUnknownOption()
    .addHelpText('after', builderHelp())
    .action(
      async (
        name: string,
        rest: string[],
        options: { out?: string; seed?: string; overwrite?: boolean; concurrency?: string },
      ) => {
        const builderArgs = parseBuilderArguments(name, rest);
        const concurrency = Number(options.concurrency ?? '2');
        if (!Number.isInteger(concurrency) || concurrency < 1)
          throw new Error(`--concurrency must be a positive integer, got "${options.concurrency}"`);
        const out = options.out ?? `data/${name}`;
        await checkOutputFolder(out);
        const controller = new AbortController();
        let interrupts = 0;
        const onSigint = (signal: NodeJS.Signals): void => {
          interrupts++;
          controller.abort(
            new Error(`interrupted (${signal === 'SIGINT' ? 'Ctrl-C' : signal}); the partial dataset was removed`),
          );
          // a second Ctrl-C exits at once; the staging exit hook still removes the partial folder
          if (interrupts > 1) process.exit(130);
        };
        process.on('SIGINT', onSigint);
        process.on('SIGTERM', onSigint);
        const renderer = dataProgress();
        try {
          const summary = await buildDataset({
            builder: name,
            out,
            seed: parseSeed(options.seed),
            options: builderArgs,
            overwrite: options.overwrite ?? false,
            concurrency,
            onEvent: renderer.onEvent,
            signal: controller.signal,
          });
          renderer.stop();
          const { splits } = summary.info;
          process.stdout.write(
            `built ${name} in ${summary.dir}: ${splits.train + splits.val + splits.test} samples (train ${splits.train}, val ${splits.val}, test ${splits.test}) in ${summary.seconds.toFixed(1)} s\n`,
          );
        } catch (error) {
          renderer.stop();
          if (!controller.signal.aborted) throw error;
          // interrupted: report it here, since main() would turn a thrown error into exit code 1
          process.stderr.write(`mmgen: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exitCode = 130;
        } finally {
          process.off('SIGINT', onSigint);
          process.off('SIGTERM', onSigint);
        }
      },
    );

  data
    .command('show')
    .description('write a contact sheet PNG of a dataset and print counts per split and attribute')
    .argument('<dir>', 'dataset folder')
    .option('--out <png>', 'contact sheet path (default DIR-sheet.png next to the folder)')
    .option('--samples <n>', 'samples on the sheet', '48')
    .option('--split <split>', `only this split (${SPLITS.join(', ')})`)
    .option('--seed <n>', 'which samples are shown', '0')
    .action(async (dir: string, options: { out?: string; samples?: string; split?: string; seed?: string }) => {
      const samples = Number(options.samples ?? '48');
      if (!Number.isInteger(samples) || samples < 1)
        throw new Error(`--samples must be a positive integer, got "${options.samples}"`);
      if (options.split !== undefined && !(SPLITS as readonly string[]).includes(options.split))
        throw new Error(`--split must be one of ${SPLITS.join(', ')}, got "${options.split}"`);
      const out = options.out ?? `${dir.replace(/\/+$/, '')}-sheet.png`;
      const result = await showDataset(dir, {
        out,
        samples,
        seed: parseSeed(options.seed),
        ...(options.split ? { split: options.split as Split } : {}),
      });
      const info = result.dataset.info;
      process.stdout.write(
        `${info.name}: ${info.description}\n${formatCounts(result.counts)}\ncontact sheet (${result.shown} samples): ${result.sheet}\n`,
      );
    });
}
