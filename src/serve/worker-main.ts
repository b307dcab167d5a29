// A model worker: a long-lived child process that loads libtorch once, keeps a few runs open through loadRun
// (least recently used closed first) and runs one inference job at a time for the server.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/files.js';
import { encodePng } from '../modalities/image/index.js';
import { type Run, loadRun } from '../models/run/load-run.js';
import type { AudioOutput, ImageOutput, JointResult, TextOutput } from '../models/run/types.js';
import type { FromWorker, SavedFile, ToWorker, WorkerJob, WorkerOutput } from './worker-protocol.js';

const capacity = Math.max(1, Number(process.env.MMGEN_SERVE_RUN_CACHE ?? 4));
const open = new Map<string, Promise<Run>>();

function send(message: FromWorker): void {
  process.send?.(message);
}

/** The run, opened once; the least recently used one is closed when more than `capacity` are open. */
function runFor(dir: string): Promise<Run> {
  let run = open.get(dir);
  if (run) open.delete(dir);
  else run = loadRun(dir);
  open.set(dir, run);
  run.catch(() => open.delete(dir));
  while (open.size > capacity) {
    const [oldest, closing] = open.entries().next().value as [string, Promise<Run>];
    open.delete(oldest);
    closing.then(
      (served) => served.dispose(),
      () => {},
    );
  }
  return run;
}

const stem = (kind: string, index: number): string => `${kind}-${String(index).padStart(4, '0')}`;

async function saveOutputs(
  outDir: string,
  images: readonly ImageOutput[],
  sounds: readonly AudioOutput[],
  texts?: string[],
): Promise<WorkerOutput> {
  await mkdir(outDir, { recursive: true });
  const files: SavedFile[] = [];
  for (const [position, image] of images.entries()) {
    const file = `${stem('image', position)}.png`;
    await image.save(join(outDir, file));
    files.push({ kind: 'image', file, index: position });
  }
  for (const [position, sound] of sounds.entries()) {
    const file = `${stem('audio', position)}.wav`;
    await sound.save(join(outDir, file));
    files.push({ kind: 'audio', file, index: position });
    if (sound.spectrogram) {
      const picture = `${stem('audio', position)}.spectrogram.png`;
      await writeFileAtomic(join(outDir, picture), await encodePng(sound.spectrogram));
      files.push({ kind: 'spectrogram', file: picture, index: position });
    }
  }
  return texts ? { files, texts } : { files };
}

const jointOutput = (outDir: string, result: JointResult): Promise<WorkerOutput> =>
  saveOutputs(outDir, result.images, result.sounds, result.texts);

/** Captions or transcripts, with the reason an input could not be read beside each (the server fails only that job). */
function textsOf(outputs: TextOutput[]): WorkerOutput {
  return {
    files: [],
    texts: outputs.map((output) => output.text),
    errors: outputs.map((output) => output.error ?? ''),
  };
}

async function runJob(job: WorkerJob): Promise<WorkerOutput> {
  const run = await runFor(job.runDir);
  const search = job.beam === undefined ? {} : { beam: job.beam };
  switch (job.task) {
    case 'generate': {
      const outputs = await run.generate(job.text ?? '', { n: job.n, seed: job.seed });
      return saveOutputs(
        job.outDir,
        outputs.filter((output): output is ImageOutput => output.kind === 'image'),
        outputs.filter((output): output is AudioOutput => output.kind === 'audio'),
      );
    }
    case 'caption':
      return textsOf(await run.caption(job.images ?? [], search));
    case 'transcribe':
      return textsOf(await run.transcribe(job.clips ?? [], search));
    case 'translate':
      return jointOutput(
        job.outDir,
        await run.translate(
          {
            ...(job.text !== undefined ? { text: job.text } : {}),
            ...(job.image !== undefined ? { image: job.image } : {}),
            ...(job.audio !== undefined ? { audio: job.audio } : {}),
          },
          { to: job.to ?? [], n: job.n, seed: job.seed },
        ),
      );
    case 'sample':
      return jointOutput(job.outDir, await run.sample(job.n, job.seed));
  }
}

process.on('message', (message: ToWorker) => {
  if (message.type !== 'job') return;
  const { job } = message;
  runJob(job).then(
    (output) => send({ type: 'result', id: job.id, output }),
    (error: unknown) =>
      send({ type: 'error', id: job.id, message: error instanceof Error ? error.message : String(error) }),
  );
});
// the server going away ends the worker
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
