// Caption pictures with an image→text run.
//
//   node --import tsx examples/caption.ts [RUN] [--quick] [--out DIR]
//
// With RUN (a captioner run folder, e.g. one trained by `mmgen train configs/captioner-shapes.yaml`), it captions
// that run's own test pictures. Without, it builds a small level-2 shapes dataset (shape + size) and trains a
// tiny captioner first (300 steps, a minute or two on one core; --quick: 20 steps for CI, captions are guesses).
// Either way it loads the run with loadRun, captions four test pictures (beam search, width 3) and prints each
// caption beside the true one; the captions also go to DIR/captions.json.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRun } from '../src/index.js';
import { buildDataset } from '../src/data/builders/index.js';
import { resolveConfig } from '../src/train/recipes.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const out = values.out ?? (await mkdtemp(join(tmpdir(), 'mmgen-caption-')));
await mkdir(out, { recursive: true });

async function trainTinyCaptioner(): Promise<string> {
  const dataset = join(out, 'shapes');
  await buildDataset({ builder: 'shapes', out: dataset, seed: 1, options: { level: 2, count: 300 } });
  const { recipe, config } = resolveConfig(
    {
      recipe: 'captioner',
      dataset,
      seed: 0,
      model: { imageSize: 32, encoderChannels: 16, featureDim: 64, embeddingDim: 16, hiddenSize: 64, dropout: 0 },
      training: {
        steps: values.quick ? 20 : 300,
        batchSize: 32,
        lr: 3e-3,
        warmupSteps: 10,
        logEvery: 10,
        sampleEvery: 100000,
      },
    },
    'examples/caption.ts',
  );
  await recipe.train(config, {
    runDir: join(out, 'run'),
    onEvent: (event) =>
      event.type === 'step' &&
      event.step % 50 === 0 &&
      console.log(`step ${event.step}/${event.total}  loss ${event.losses.loss?.toFixed(3)}`),
  });
  return join(out, 'run');
}

const run = await loadRun(positionals[0] ?? (await trainTinyCaptioner()));
if (!run.can('caption')) throw new Error(`${run.dir} is a ${run.recipe} run; give a captioner run folder`);

// The run's config names its dataset; take four of its test pictures (their files and true captions).
const dataset = (run.config as { dataset: string }).dataset;
const manifest = (await readFile(join(dataset, 'manifest.jsonl'), 'utf8'))
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { split: string; text: string; image: string });
const pictures = manifest.filter((entry) => entry.split === 'test').slice(0, 4);

const captions = await run.caption(
  pictures.map((entry) => join(dataset, entry.image)),
  { beam: 3 },
);
for (const [index, caption] of captions.entries())
  console.log(`${caption.source}: "${caption.text}" (truth: "${pictures[index]?.text}")`);
await writeFile(
  join(out, 'captions.json'),
  JSON.stringify(
    captions.map(({ source, text }) => ({ source, text })),
    null,
    2,
  ),
);
run.dispose();
