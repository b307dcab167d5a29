// One rank of the data-parallel benchmark (bench/distributed.ts): trains a recipe config through the
// registry with a process group (WORLD 1: none) and prints, as one JSON line, the steady-state step
// rate after WARMUP steps and the time spent in all-reduce over those steps.
// `node --import tsx bench/distributed-worker.ts CONFIG RUN_DIR RANK WORLD PORT WARMUP`
import { readConfigFile } from '../src/train/config.js';
import { resolveConfig } from '../src/train/recipes.js';
import { ProcessGroup, zeros } from '../src/tensor/index.js';
import type { TrainEvent } from '../src/train/events.js';

const [configPath = '', runDir = '', rankText, worldText, portText, warmupText] = process.argv.slice(2);
const rank = Number(rankText);
const worldSize = Number(worldText);
const warmup = Number(warmupText);
const { train } = resolveConfig(await readConfigFile(configPath), configPath);
const group =
  worldSize > 1
    ? ProcessGroup.init({ rank, worldSize, master: { host: '127.0.0.1', port: Number(portText) }, timeoutSeconds: 120 })
    : undefined;
let startedAt = 0;
let endedAt = 0;
let startStep = 0;
let lastStep = 0;
let allReduceAtStart = 0;
let elementsAtStart = 0;
const onEvent = (event: TrainEvent): void => {
  if (event.type !== 'step') return;
  if (event.step === warmup) {
    startedAt = performance.now();
    startStep = event.step;
    allReduceAtStart = group?.stats.allReduceSeconds ?? 0;
    elementsAtStart = group?.stats.allReduceElements ?? 0;
  }
  if (event.step > warmup) {
    endedAt = performance.now();
    lastStep = event.step;
  }
};
await train({ runDir, onEvent, ...(group ? { processGroup: group } : {}) });
const steps = lastStep - startStep;
const seconds = (endedAt - startedAt) / 1000;
const allReduceSeconds = (group?.stats.allReduceSeconds ?? 0) - allReduceAtStart;
// the same volume reduced alone, each after a barrier: the wire cost of a step without the wait for the slower rank
let pureMsPerStep = 0;
const elementsPerStep = group ? Math.max(1, Math.round((group.stats.allReduceElements - elementsAtStart) / steps)) : 0;
if (group) {
  const buffer = zeros([elementsPerStep]);
  const rounds = 10;
  for (let round = 0; round < rounds; round++) {
    group.barrier();
    const started = performance.now();
    group.allReduce([buffer], { average: true });
    pureMsPerStep += (performance.now() - started) / rounds;
  }
  buffer.dispose();
}
group?.destroy();
process.stdout.write(
  `${JSON.stringify({ rank, steps, stepsPerSecond: steps / seconds, stepMs: (1000 * seconds) / steps, allReduceMsPerStep: (1000 * allReduceSeconds) / steps, pureMsPerStep, megabytesPerStep: (4 * elementsPerStep) / 1e6 })}\n`,
);
