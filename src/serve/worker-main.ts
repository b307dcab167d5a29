// A model worker: a long-lived child process that loads libtorch once, keeps a few runs open (least recently
// used closed first) and runs one inference job at a time for the server.
import { mkdir } from 'node:fs/promises';
import { openServedRun } from './open-run.js';
import type { ServedOutput, ServedRun } from './run-port.js';
import type { FromWorker, ToWorker, WorkerJob, WorkerOutput } from './worker-protocol.js';

const capacity = Math.max(1, Number(process.env.MMGEN_SERVE_RUN_CACHE ?? 4));
const open = new Map<string, Promise<ServedRun>>();

function send(message: FromWorker): void {
  process.send?.(message);
}

/** The run, opened once; the least recently used one is closed when more than `capacity` are open. */
async function runFor(dir: string): Promise<ServedRun> {
  let run = open.get(dir);
  if (run) open.delete(dir);
  else run = openServedRun(dir);
  open.set(dir, run);
  run.catch(() => open.delete(dir));
  while (open.size > capacity) {
    const [oldest, closing] = open.entries().next().value as [string, Promise<ServedRun>];
    open.delete(oldest);
    closing.then((served) => served.dispose(), () => {});
  }
  return run;
}

async function saveAll(outputs: ServedOutput[], outDir: string): Promise<WorkerOutput> {
  await mkdir(outDir, { recursive: true });
  const files = [];
  const texts: string[] = [];
  for (const output of outputs) {
    if (output.text !== undefined) texts.push(output.text);
    files.push(...(await output.save(outDir, `${output.kind}-${String(output.index).padStart(4, '0')}`)));
  }
  return texts.length > 0 ? { files, texts } : { files };
}

async function runJob(job: WorkerJob): Promise<WorkerOutput> {
  const run = await runFor(job.runDir);
  switch (job.task) {
    case 'generate':
      return saveAll(await run.generate(job.text ?? '', { n: job.n, seed: job.seed }), job.outDir);
    case 'caption':
      return { files: [], texts: await run.caption(job.images ?? [], { beam: job.beam }) };
    case 'transcribe':
      return { files: [], texts: await run.transcribe(job.clips ?? [], { beam: job.beam }) };
    case 'translate':
      return saveAll(await run.translate({ text: job.text, image: job.image, audio: job.audio }, { to: job.to ?? [], n: job.n, seed: job.seed }), job.outDir);
    case 'sample':
      return saveAll(await run.sample(job.n, job.seed), job.outDir);
  }
}

process.on('message', (message: ToWorker) => {
  if (message.type !== 'job') return;
  const { job } = message;
  runJob(job).then(
    (output) => send({ type: 'result', id: job.id, output }),
    (error: unknown) => send({ type: 'error', id: job.id, message: error instanceof Error ? error.message : String(error) }),
  );
});
// the server going away ends the worker
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
