import { Dropout } from '../src/nn/index.js';
import { handleOf, wrapHandle, type Tensor } from '../src/tensor/index.js';
import { native } from '../src/tensor/native.js';
import { buildTransformer } from './models/transformer.js';
import { mainThreadTimes } from './harness/proc-status.js';
import { median } from './harness/stats.js';
const original = Dropout.prototype.forward;
const aliasing = function (this: Dropout, x: Tensor): Tensor {
  return this.p === 0 || !this.training ? wrapHandle(native().alias(handleOf(x))) : original.call(this, x);
};
const model = buildTransformer(1);
model.step(); model.step();
const cpu: Record<string, number[]> = { clone: [], alias: [] };
for (let rep = 0; rep < 6; rep++) {
  for (const mode of ['clone', 'alias'] as const) {
    Dropout.prototype.forward = mode === 'alias' ? aliasing : original;
    for (let i = 0; i < 2; i++) {
      const before = mainThreadTimes().cpuMs;
      model.step();
      cpu[mode]!.push(mainThreadTimes().cpuMs - before);
      await new Promise(setImmediate);
    }
  }
}
console.log('median cpu ms/step: dropout(p=0) clones', median(cpu.clone!).toFixed(1), ' aliases', median(cpu.alias!).toFixed(1));
model.dispose();
