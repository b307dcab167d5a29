// Data benchmarks: how long the shapes level-5 build takes, how fast a split loads into tensors, and
// how many images per second the seeded batch loader serves. Run alone with
// `node --import tsx bench/data.ts [--quick]`; bench/run.ts calls runDataBenchmarks.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDataset } from '../src/data/builders/index.js';
import { BatchLoader, disposeBatch, loadSplit } from '../src/data/index.js';

export interface DataBenchmark {
  name: string;
  value: number;
  unit: string;
}

export async function runDataBenchmarks(options: { quick: boolean }): Promise<DataBenchmark[]> {
  const count = options.quick ? 3000 : 30000;
  const folder = await mkdtemp(join(tmpdir(), 'mmgen-bench-data-'));
  const results: DataBenchmark[] = [];
  try {
    const out = join(folder, 'shapes');
    const summary = await buildDataset({ builder: 'shapes', out, seed: 0, options: { level: 5, count } });
    results.push({ name: `data: build shapes L5 (${count} samples)`, value: summary.seconds, unit: 's' });
    results.push({ name: 'data: build shapes L5 rate', value: count / summary.seconds, unit: 'samples/s' });

    let started = performance.now();
    const split = await loadSplit(out, { split: 'train', images: 'uint8' });
    const loadSeconds = (performance.now() - started) / 1000;
    results.push({
      name: `data: load train split (${split.size} PNGs → uint8 tensor)`,
      value: split.size / loadSeconds,
      unit: 'images/s',
    });
    try {
      const loader = new BatchLoader(split, { batchSize: 64, seed: 0, imagesAsFloat: true });
      const epochs = options.quick ? 1 : 3;
      let images = 0;
      started = performance.now();
      for (let epoch = 0; epoch < epochs; epoch++) {
        for (const batch of loader.epochBatches()) {
          images += batch.images?.shape[0] ?? 0;
          disposeBatch(batch);
        }
      }
      results.push({
        name: 'data: shuffled batches of 64 (uint8 → float [-1,1])',
        value: images / ((performance.now() - started) / 1000),
        unit: 'images/s',
      });
    } finally {
      split.dispose();
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await runDataBenchmarks({ quick: process.argv.includes('--quick') });
  for (const result of results)
    process.stdout.write(`${result.name.padEnd(58)} ${result.value.toFixed(1).padStart(10)} ${result.unit}\n`);
}
