// Train a tiny text→image GAN on built shapes, then draw a picture from a caption.
//
//   node --import tsx examples/text-to-image.ts [--quick] [--out DIR]
//
// Builds a level-2 shapes dataset (shape + size, 64×64, rendered offline), trains text2image-gan through the
// recipe registry (what `mmgen train` does) with the progress printed, loads the finished run with loadRun and
// saves four seeded draws of "big square" as DIR/drawn-0.png … drawn-3.png (same seed, same bytes).
// Default: 400 steps, a few minutes on one core: soft white blobs of the right size, not yet crisp squares
// (configs/shapes-gan.yaml trains the real thing). --quick: 10 steps, for CI (the pictures are noise).
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDataset, loadRun, resolveConfig } from '../src/index.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } } });
const out = values.out ?? (await mkdtemp(join(tmpdir(), 'mmgen-text-to-image-')));
await mkdir(out, { recursive: true });
const steps = values.quick ? 10 : 400;

const dataset = join(out, 'shapes');
await buildDataset({ builder: 'shapes', out: dataset, seed: 1, options: { level: 2, count: 400 } });

const tinyGan = {
  recipe: 'text2image-gan',
  seed: 0,
  model: {
    noiseDim: 16,
    textEmbedding: 16,
    textHidden: 32,
    conditionDim: 32,
    generatorChannels: 64,
    discriminatorChannels: 16,
  },
  training: { steps, batchSize: 32, classifierWarmup: Math.min(50, steps), logEvery: 10, sampleEvery: 100000 },
};
// resolveConfig validates a config as `mmgen train` does (a bad key is an error naming it) and pairs it
// with its training session.
const { train } = resolveConfig({ ...tinyGan, dataset }, 'examples/text-to-image.ts');
const say = (losses: Record<string, number>) =>
  Object.entries(losses).map(([name, value]) => `${name} ${value.toFixed(3)}`);
await train({
  runDir: join(out, 'run'),
  onEvent: (event) =>
    event.type === 'step' && event.step % 50 === 0 && console.log(`step ${event.step}`, ...say(event.losses)),
});

const run = await loadRun(join(out, 'run'));
const images = await run.generate('big square', { n: 4, seed: 0 });
for (const image of images) await image.save(join(out, `drawn-${image.index}.png`));
run.dispose();
console.log(`wrote ${images.length} pictures of "big square" to ${out}/drawn-*.png`);
