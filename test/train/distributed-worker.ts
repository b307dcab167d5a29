// One rank of a tiny data-parallel run for test/train/distributed.test.ts: a small MLP classifying
// shapes images (no batch norm, no noise, so N ranks must match one process), trained through the
// real loop (train()), with gradient clipping that bites, so the clip must see the averaged gradient.
// `node --import tsx test/train/distributed-worker.ts DATASET RUN_DIR RANK WORLD PORT STEPS BATCH [SEED]`
// (WORLD 1: no process group). Prints one JSON line: live tensors before/after, all-reduce stats.
import { BatchLoader, type BatchCursor, disposeBatch } from '../../src/data/batches.js';
import { loadSplit } from '../../src/data/loader.js';
import { Linear, ReLU, Sequential } from '../../src/nn/index.js';
import { crossEntropy } from '../../src/nn/losses.js';
import { Adam, SGD } from '../../src/optim/index.js';
import { ProcessGroup, clipGradNorm, manualSeed, memory, tidy } from '../../src/tensor/index.js';
import { train } from '../../src/train/loop.js';

const [dataset, runDir, rankText, worldText, portText, stepsText, batchText, seedText] = process.argv.slice(2);
const seed = Number(seedText ?? '11');
const rank = Number(rankText);
const worldSize = Number(worldText);
const steps = Number(stepsText);
const batchSize = Number(batchText);

const split = await loadSplit(dataset ?? '', { split: 'train', images: 'uint8' });
const before = memory().tensors;
const group =
  worldSize > 1
    ? ProcessGroup.init({ rank, worldSize, master: { host: '127.0.0.1', port: Number(portText) }, timeoutSeconds: 30 })
    : undefined;
manualSeed(seed);
const pixels = 3 * 64 * 64;
// rank 1 starts from other weights on purpose: the broadcast from rank 0 must overwrite them
if (rank > 0) manualSeed(99);
const hidden = new Linear(pixels, 24);
const head = new Linear(24, 3);
const net = new Sequential(hidden, new ReLU(), head);
// two optimisers, as a GAN has: SGD with momentum on the wide first layer (Adam's per-element scaling
// would turn the last-bit differences of near-zero gradients into visible ones), Adam on the head
const sgd = new SGD(hidden, { lr: 0.05, momentum: 0.9 });
const adam = new Adam(head, { lr: 3e-3 });
const loader = new BatchLoader(split, { batchSize, seed: seed + 1, imagesAsFloat: true });
const label = [...split.labels.keys()][0] ?? '';
const result = await train(
  {
    modules: { net },
    optimizers: { sgd, adam },
    step: () => {
      const batch = loader.next();
      try {
        const [loss, gradNorm] = tidy(() => {
          const images = batch.images;
          const target = batch.labels.get(label);
          if (!images || !target) throw new Error('the batch lacks images or labels');
          const value = crossEntropy(net.forward(images.flatten(1)), target);
          sgd.zeroGrad();
          adam.zeroGrad();
          value.backward();
          const norm = clipGradNorm(net.parameters(), 0.5);
          sgd.step();
          adam.step();
          return [value.item(), norm];
        });
        return { loss, gradNorm };
      } finally {
        disposeBatch(batch);
      }
    },
    cursor: () => loader.cursor,
    restoreCursor: (cursor) => loader.restore(cursor as BatchCursor),
  },
  {
    runDir: runDir ?? '',
    totalSteps: steps,
    seed,
    config: { test: 'distributed' },
    checkpointEvery: 2,
    keepLast: 10,
    ...(group ? { processGroup: group } : {}),
  },
);
net.dispose();
sgd.dispose();
adam.dispose();
const after = memory().tensors;
const stats = group?.stats ?? { allReduceSeconds: 0, allReduceCalls: 0 };
group?.destroy();
process.stdout.write(`${JSON.stringify({ rank, step: result.step, before, after, ...stats })}\n`);
