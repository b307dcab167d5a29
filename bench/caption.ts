// Captioning throughput: images per second of the default captioner architecture (64×64 RGB input,
// the shapes configuration) at beam 1 (greedy), beam 5 and beam 8 with consensus reranking, batches of 64. The weights are untrained, so
// the decoder seldom says eos and every caption runs the full 10 tokens — a level-5 shapes caption is 8
// words + eos, so this is the worst case of a trained model. Run alone with
// `node --import tsx bench/caption.ts [--quick] [--run RUN]` (a trained run measures real captions);
// bench/run.ts calls runCaptionBenchmarks.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Tokenizer } from '../src/modalities/text/index.js';
import { Captioner, captionerConfig } from '../src/models/captioner.js';
import { loadCaptionerRun } from '../src/models/captioner-run.js';
import { Generator, manualSeed, rand, tidy } from '../src/tensor/index.js';
import type { DataBenchmark } from './data.js';

const WORDS = [
  'small',
  'big',
  'red',
  'yellow',
  'green',
  'blue',
  'pink',
  'square',
  'ellipse',
  'heart',
  'at',
  'top',
  'bottom',
  'left',
  'right',
  'on',
  'light',
  'dark',
];

export async function runCaptionBenchmarks(options: { quick: boolean; run?: string }): Promise<DataBenchmark[]> {
  manualSeed(0);
  const loaded = options.run ? await loadCaptionerRun(options.run) : undefined;
  const model =
    loaded?.model ??
    new Captioner(
      captionerConfig.parse({ recipe: 'captioner', dataset: '(bench)', decoding: { maxLength: 10 } }),
      Tokenizer.fromCorpus([WORDS.join(' ')], { level: 'word' }),
      { channels: 3, size: 64 },
    );
  const generator = new Generator(1);
  const images = tidy(() =>
    rand([64, model.shape.channels, model.shape.size, model.shape.size], { generator }).mul(2).sub(1),
  );
  const warmup = images.narrow(0, 0, 8);
  const rounds = options.quick ? 2 : 5;
  const results: DataBenchmark[] = [];
  try {
    // consensus reranking searches with a beam of 8 and then compares its 8 candidates pairwise
    for (const search of [{ beam: 1 }, { beam: 5 }, { beam: 8, consensus: 8 }]) {
      model.caption(warmup, search);
      const started = performance.now();
      for (let round = 0; round < rounds; round++) model.caption(images, search);
      const seconds = (performance.now() - started) / 1000;
      const label = search.consensus ? `beam ${search.beam} + consensus ${search.consensus}` : `beam ${search.beam}`;
      results.push({
        name: `caption: ${options.run ? 'run' : 'untrained 64×64 captioner'}, ${label}, batch 64`,
        value: (rounds * 64) / seconds,
        unit: 'images/s',
      });
    }
  } finally {
    warmup.dispose();
    images.dispose();
    generator.dispose();
    model.dispose();
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, run: { type: 'string' } } });
  const results = await runCaptionBenchmarks({
    quick: values.quick ?? false,
    ...(values.run ? { run: values.run } : {}),
  });
  for (const result of results)
    process.stdout.write(`${result.name.padEnd(58)} ${result.value.toFixed(1).padStart(10)} ${result.unit}\n`);
}
