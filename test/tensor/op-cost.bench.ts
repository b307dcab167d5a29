// Per-op call cost: µs per `x.add(1)` + dispose, against PyTorch's `x.add(1)` (run: node --import tsx test/tensor/op-cost.bench.ts).
import { spawnSync } from 'node:child_process';
import { ones, memory } from '../../src/tensor/index.js';

const calls = 100_000;
const x = ones([4]);

function measure(): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) x.add(1).dispose();
  return Number(process.hrtime.bigint() - start) / 1e3 / calls;
}
measure(); // warm up
const runs = [measure(), measure(), measure()].sort((a, b) => a - b);

const python = `
import time, torch
torch.set_num_threads(1)
x = torch.ones(4)
def run():
    t = time.perf_counter()
    for _ in range(${calls}): x.add(1)
    return (time.perf_counter() - t) / ${calls} * 1e6
run()
print(sorted([run(), run(), run()])[1])
`;
const result = spawnSync('/usr/bin/python3', ['-c', python], { encoding: 'utf8' });
const torchMicros = Number(result.stdout.trim());
const mmgen = runs[1] ?? NaN;
console.log(`mmgen x.add(1)+dispose: ${mmgen.toFixed(2)} us/op (runs ${runs.map((r) => r.toFixed(2)).join(', ')})`);
console.log(`torch x.add(1):         ${torchMicros.toFixed(2)} us/op`);
console.log(`ratio: ${(mmgen / torchMicros).toFixed(2)}x; live tensors ${memory().tensors}`);
x.dispose();
