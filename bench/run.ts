// `npm run bench [-- --quick] [--only dcgan,gru,transformer,vae,score,ddim,tinyop,data,audio,caption]`: mmgen against PyTorch on
// reference training steps (and a DDIM sample) and a tiny op, both sides single threaded and interleaved rep by rep; `data`
// adds bench/data.ts (dataset build and loader throughput); `audio` (bench/audio.ts) text→audio clips/s; `caption`
// (bench/caption.ts) captioning images/s; `distributed` (bench/distributed.ts) data-parallel steps/s of 1 and 2 processes.
// Prints a table on stdout (progress on stderr) and writes bench/results/latest.json.
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DataBenchmark } from './data.js';
import { type ModelName, modelNames } from './harness/protocol.js';
import { formatReport, writeResults } from './harness/report.js';
import { type ModelResult, type Results, type Settings, type TinyOpResult, targets } from './harness/results.js';
import { type Progress, benchModel, benchTinyOps, descriptions, startWorkers, stopWorkers } from './harness/session.js';

const benchNames = [...modelNames, 'tinyop', 'data', 'audio', 'caption', 'distributed', 'serve'] as const;
type BenchName = (typeof benchNames)[number];
/** data (dataset build and loader throughput, ~20 s quick, minutes full) runs only when asked for. */
const defaultNames: BenchName[] = [...modelNames, 'tinyop', 'audio', 'caption', 'distributed'];

const usage = `usage: npm run bench -- [--quick] [--only ${benchNames.join(',')}]
  --quick   fewer reps and a 30-step drift run (under 2 minutes instead of about 10)
  --only    comma-separated subset of: ${benchNames.join(', ')} (default: all but data and serve)
  --serve-seconds N   load duration of each serve benchmark (default 60; 10 with --quick)`;

function settingsFor(quick: boolean): Settings {
  const common = { seed: 1, threads: 1, tinyOpCalls: 100_000 };
  return quick
    ? {
        ...common,
        mode: 'quick',
        warmupSteps: 2,
        reps: 3,
        stepsPerRep: 2,
        driftSteps: 30,
        driftSampleEvery: 10,
        profileSteps: 2,
        tinyOpRounds: 3,
      }
    : {
        ...common,
        mode: 'full',
        warmupSteps: 5,
        reps: 7,
        stepsPerRep: 3,
        driftSteps: 500,
        driftSampleEvery: 50,
        profileSteps: 4,
        tinyOpRounds: 5,
      };
}

function parseOnly(value: string | undefined): BenchName[] {
  if (value === undefined) return [...defaultNames];
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(benchNames as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `--only: unknown benchmark ${unknown.join(', ') || '(empty)'}; choose from ${benchNames.join(', ')}`,
    );
  }
  return names as BenchName[];
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'serve-seconds': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const selected = parseOnly(values.only);
  const settings = settingsFor(values.quick ?? false);
  const started = Date.now();
  const progress: Progress = (message) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  const runtime = { mmgen: '', torch: '' };
  const loadAverage = loadavg();

  const models: ModelResult[] = [];
  for (const name of selected.filter((entry): entry is ModelName =>
    (modelNames as readonly string[]).includes(entry),
  )) {
    // a fresh pair of processes per model: each peak RSS belongs to one model
    let workers;
    try {
      workers = await startWorkers(settings.threads);
      Object.assign(runtime, workers.runtime);
      models.push(await benchModel(name, settings, workers, progress));
    } catch (error) {
      progress(`${name} failed: ${errorText(error)}`);
      models.push({ name, description: descriptions[name], error: errorText(error) });
    } finally {
      if (workers) await stopWorkers(workers);
    }
  }

  let tinyOps: TinyOpResult[] = [];
  let tinyOpError: string | undefined;
  if (selected.includes('tinyop')) {
    let workers;
    try {
      workers = await startWorkers(settings.threads);
      Object.assign(runtime, workers.runtime);
      tinyOps = await benchTinyOps(settings, workers, progress);
    } catch (error) {
      tinyOpError = errorText(error);
      progress(`tiny op failed: ${tinyOpError}`);
    } finally {
      if (workers) await stopWorkers(workers);
    }
  }

  let data: DataBenchmark[] | undefined;
  let dataError: string | undefined;
  if (selected.includes('data')) {
    // in this process, after the workers: bench/data.ts (the data pipeline's own benchmarks) loads libtorch here
    try {
      progress('data benchmarks');
      const { runDataBenchmarks } = await import('./data.js');
      data = await runDataBenchmarks({ quick: settings.mode === 'quick' });
    } catch (error) {
      dataError = errorText(error);
      progress(`data benchmarks failed: ${dataError}`);
    }
  }

  let audio: DataBenchmark[] | undefined;
  let audioError: string | undefined;
  if (selected.includes('audio')) {
    // text→audio generation speed (clips/s including Griffin-Lim), in this process like data
    try {
      progress('audio generation benchmark');
      const { runAudioBenchmarks } = await import('./audio.js');
      audio = await runAudioBenchmarks({ quick: settings.mode === 'quick' });
    } catch (error) {
      audioError = errorText(error);
      progress(`audio benchmark failed: ${audioError}`);
    }
  }

  let caption: DataBenchmark[] | undefined;
  let captionError: string | undefined;
  if (selected.includes('caption')) {
    // in this process too, after the workers: captioning throughput at beam 1 and 5 (bench/caption.ts)
    try {
      progress('captioning throughput');
      const { runCaptionBenchmarks } = await import('./caption.js');
      caption = await runCaptionBenchmarks({ quick: settings.mode === 'quick' });
    } catch (error) {
      captionError = errorText(error);
      progress(`caption benchmarks failed: ${captionError}`);
    }
  }

  let distributed: DataBenchmark[] | undefined;
  let distributedError: string | undefined;
  if (selected.includes('distributed')) {
    // data-parallel training: 1 process against 2 over c10d/Gloo, each in child processes (bench/distributed.ts)
    try {
      progress('data-parallel training (1 and 2 processes)');
      const { runDistributedBenchmarks } = await import('./distributed.js');
      distributed = await runDistributedBenchmarks({ quick: settings.mode === 'quick' });
    } catch (error) {
      distributedError = errorText(error);
      progress(`data-parallel benchmark failed: ${distributedError}`);
    }
  }

  let serve: DataBenchmark[] | undefined;
  let serveError: string | undefined;
  if (selected.includes('serve')) {
    // mmgen serve in a child process under autocannon; the in-process reference runs here
    try {
      progress('serve benchmark');
      const { runServeBenchmarks } = await import('./serve.js');
      const seconds = values['serve-seconds'] === undefined ? undefined : Number(values['serve-seconds']);
      serve = await runServeBenchmarks({ quick: settings.mode === 'quick', ...(seconds ? { seconds } : {}), progress });
    } catch (error) {
      serveError = errorText(error);
      progress(`serve benchmark failed: ${serveError}`);
    }
  }

  const results: Results = {
    date: new Date().toISOString(),
    settings,
    runtime,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, loadAverage },
    targets,
    models,
    tinyOps,
    ...(tinyOpError ? { tinyOpError } : {}),
    ...(data ? { data } : {}),
    ...(dataError ? { dataError } : {}),
    ...(audio ? { audio } : {}),
    ...(audioError ? { audioError } : {}),
    ...(caption ? { caption } : {}),
    ...(captionError ? { captionError } : {}),
    ...(distributed ? { distributed } : {}),
    ...(distributedError ? { distributedError } : {}),
    ...(serve ? { serve } : {}),
    ...(serveError ? { serveError } : {}),
    totalSeconds: (Date.now() - started) / 1000,
  };
  // latest.json is whatever ran last; full.json / quick.json keep the last run of each kind
  for (const file of ['latest.json', `${settings.mode}.json`])
    await writeResults(fileURLToPath(new URL(`./results/${file}`, import.meta.url)), results);
  process.stdout.write(formatReport(results));
  return models.some((model) => model.error) ||
    tinyOpError ||
    dataError ||
    audioError ||
    captionError ||
    distributedError ||
    serveError
    ? 1
    : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${errorText(error)}\n`);
    process.exitCode = 2;
  },
);
