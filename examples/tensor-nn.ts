// The tensor / nn / optim API under every recipe: fit a tiny MLP to y = sin(3x) with autograd and Adam.
//
//   node --import tsx examples/tensor-nn.ts [--steps N] [--out DIR]
//
// Tensors live in libtorch's native memory: tidy(fn) frees every tensor made inside fn except what it returns,
// so a training loop does not grow; memory() counts live tensors. backward() is libtorch's own autograd.
// Prints the loss every 50 steps (it falls from ~0.6 by orders of magnitude), checks the live tensor count stays
// flat from step to step, and saves the weights as DIR/mlp.safetensors.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { F, linspace, manualSeed, memory, nn, optim, tidy } from '../src/index.js';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '300' }, out: { type: 'string' } } });
const out = values.out ?? (await mkdtemp(join(tmpdir(), 'mmgen-mlp-')));
await mkdir(out, { recursive: true });
manualSeed(0); // seeds the layers' initial weights: the same seed prints the same losses

const x = linspace(-1, 1, 256).reshape(256, 1);
const y = tidy(() => x.mul(3).sin());
const model = new nn.Sequential(
  new nn.Linear(1, 64),
  new nn.Tanh(),
  new nn.Linear(64, 64),
  new nn.Tanh(),
  new nn.Linear(64, 1),
);
const adam = new optim.Adam(model, { lr: 1e-2 });

let liveAfterFirstStep = 0; // Adam makes its moment tensors at the first step
for (let step = 1; step <= Number(values.steps); step++) {
  const loss = tidy(() => {
    const loss = F.mseLoss(model.forward(x), y);
    adam.zeroGrad();
    loss.backward();
    adam.step();
    return loss.item();
  });
  if (step === 1) liveAfterFirstStep = memory().tensors;
  if (step % 50 === 0 || step === 1) console.log(`step ${step}  loss ${loss.toExponential(2)}`);
}
console.log(`live tensors: ${memory().tensors} (after the first step: ${liveAfterFirstStep})`);

await model.save(join(out, 'mlp.safetensors'));
console.log(`saved ${join(out, 'mlp.safetensors')}`);
x.dispose();
y.dispose();
