import { startWorkers, stopWorkers } from './harness/session.js';
import type { ModelName } from './harness/protocol.js';
const name = (process.argv[2] ?? 'gru') as ModelName;
const reps = Number(process.argv[3] ?? 4);
const steps = Number(process.argv[4] ?? 3);
const w = await startWorkers(1);
await w.mmgen.request({ cmd: 'build', model: name, seed: 1 });
await w.torch.request({ cmd: 'build', model: name, seed: 1 });
await w.mmgen.request({ cmd: 'run', steps: 2 });
await w.torch.request({ cmd: 'run', steps: 2 });
for (let r = 0; r < reps; r++) {
  const m = await w.mmgen.request({ cmd: 'profile', steps });
  const t = await w.torch.request({ cmd: 'profile', steps });
  const f = (p: typeof m) => `wall ${p.stepMs.toFixed(1)} cpu ${p.stepCpuMs.toFixed(1)} = fwd ${p.phases.forward.toFixed(1)} bwd ${p.phases.backward.toFixed(1)} opt ${p.phases.optimizer.toFixed(1)}${p.phases.js !== undefined ? ` js ${p.phases.js.toFixed(1)}` : ''}`;
  console.log(`mmgen ${f(m)}   | torch ${f(t)}`);
  if (r === reps - 1) console.log(JSON.stringify(m.nativeMs));
}
await stopWorkers(w);
