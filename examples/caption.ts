// Caption pictures with an image→text run.
//
//   node --import tsx examples/caption.ts [RUN] [--quick] [--out DIR]
//
// With RUN (a captioner run folder, e.g. one trained by `mmgen train configs/captioner-shapes.yaml`), it captions
// that run's own test pictures. Without, it builds a small level-2 shapes dataset (shape + size) and trains a
// tiny captioner first (300 steps, under a minute on one core; --quick: 20 steps for CI, captions are guesses).
// Either way it loads the run with loadRun, captions four test pictures (beam search, width 3) and prints each
// caption beside the true one; the captions also go to DIR/captions.json.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDataset, loadRun, resolveConfig } from '../src/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const out = values.out ?? (await mkdtemp(join(tmpdir(), 'mmgen-caption-')));
await mkdir(out, { recursive: true });

const steps = values.quick ? 20 : 300;
const tinyCaptioner = {
  recipe: 'captioner',
  seed: 0,
  model: { imageSize: 32, encoderChannels: 16, featureDim: 64, embeddingDim: 16, hiddenSize: 64, dropout: 0 },
  training: { steps, batchSize: 32, lr: 3e-3, warmupSteps: 10, logEvery: 10, sampleEvery: 100000 },
};

async function trainTinyCaptioner(): Promise<string> {
  const dataset = join(out, 'shapes');
  await buildDataset({ builder: 'shapes', out: dataset, seed: 1, options: { level: 2, count: 300 } });
  const { train } = resolveConfig({ ...tinyCaptioner, dataset }, 'examples/caption.ts');
  const log = (step: number, loss = 0) => step % 50 === 0 && console.log(`step ${step}  loss ${loss.toFixed(3)}`);
  await train({
    runDir: join(out, 'run'),
    onEvent: (e) => e.type === 'step' && log(e.step, e.losses.loss),
  });
  return join(out, 'run');
}

const run = await loadRun(positionals[0] ?? (await trainTinyCaptioner()));
if (!run.can('caption')) throw new Error(`${run.dir} is a ${run.recipe} run; give a captioner run folder`);

// The run's config names its dataset; take four of its test pictures (their files and true captions).
const dataset = run.config.dataset;
const lines = (await readFile(join(dataset, 'manifest.jsonl'), 'utf8')).trim().split('\n');
const entries = lines.map((line) => JSON.parse(line) as { split: string; text: string; image: string });
const pictures = entries.filter((entry) => entry.split === 'test').slice(0, 4);

const files = pictures.map((entry) => join(dataset, entry.image));
const captions = await run.caption(files, { beam: 3 });
for (const [index, caption] of captions.entries())
  console.log(`${caption.source}: "${caption.text}" (truth: "${pictures[index]?.text}")`);
const written = captions.map(({ source, text }) => ({ source, text }));
await writeFile(join(out, 'captions.json'), JSON.stringify(written, null, 2));
run.dispose();
