// Per-op call cost: µs per `x.add(1)` (+ dispose) over 1e5 calls, next to PyTorch's `x.add(1)` through
// /usr/bin/python3, single thread, interleaved rounds so both see the same machine load.
// Run: node --import tsx test/tensor/op-cost.bench.ts
import { spawnSync } from 'node:child_process';
import { ones, memory, type Tensor } from '../../src/tensor/index.js';

const calls = 100_000;
const rounds = 5;
const x = ones([4]);
const ops: Record<string, (t: Tensor) => Tensor> = {
  'x.add(1)': (t) => t.add(1),
  'x.mul(x)': (t) => t.mul(t),
  'x.neg()': (t) => t.neg(),
};

function mmgenRound(op: (t: Tensor) => Tensor): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) op(x).dispose();
  return Number(process.hrtime.bigint() - start) / 1e3 / calls;
}

const python = `
import time, torch, json
torch.set_num_threads(1)
x = torch.ones(4)
ops = {'x.add(1)': lambda: x.add(1), 'x.mul(x)': lambda: x.mul(x), 'x.neg()': lambda: x.neg()}
out = {}
for name, op in ops.items():
    for _ in range(20000): op()
    t = time.perf_counter()
    for _ in range(${calls}): op()
    out[name] = (time.perf_counter() - t) / ${calls} * 1e6
print(json.dumps(out))
`;
function torchRound(): Record<string, number> {
  const result = spawnSync('/usr/bin/python3', ['-c', python], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, number>;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const samples: Record<string, { mmgen: number[]; torch: number[] }> = {};
for (const name of Object.keys(ops)) samples[name] = { mmgen: [], torch: [] };
for (const op of Object.values(ops)) mmgenRound(op); // warm up
for (let round = 0; round < rounds; round++) {
  for (const [name, op] of Object.entries(ops)) samples[name]?.mmgen.push(mmgenRound(op));
  const torch = torchRound();
  for (const name of Object.keys(ops)) samples[name]?.torch.push(torch[name] ?? NaN);
}
for (const [name, { mmgen, torch }] of Object.entries(samples)) {
  const [m, t] = [median(mmgen), median(torch)];
  console.log(
    `${name.padEnd(10)} mmgen ${m.toFixed(2)} us (min ${Math.min(...mmgen).toFixed(2)})  torch ${t.toFixed(2)} us (min ${Math.min(...torch).toFixed(2)})  ratio ${(m / t).toFixed(2)}`,
  );
}
x.dispose();
console.log(`live tensors at the end: ${memory().tensors}`);
