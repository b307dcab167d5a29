// DCGAN step (mmgen side of dcgan.py): batch 64 of 32x32x3; G: linear -> 4x4x128, BN/ReLU, three
// transposed convs; D: three stride-2 convs with LeakyReLU, linear; BCE losses; Adam. One step = D + G update.
import { type Tensor, Generator, keep, manualSeed, ones, rand, randn, tidy, zeros } from '../../src/tensor/index.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, Linear, Module, bceWithLogits } from '../../src/nn/index.js';
import { Adam } from '../../src/optim/index.js';
import type { BenchModel } from './types.js';

const BATCH = 64;
const NOISE = 100;
const IMAGE = 32;

class DcganGenerator extends Module {
  readonly project = this.registerModule('project', new Linear(NOISE, 128 * 4 * 4));
  readonly norm0 = this.registerModule('norm0', new BatchNorm2d(128));
  readonly up1 = this.registerModule('up1', new ConvTranspose2d(128, 64, 4, { stride: 2, padding: 1 }));
  readonly norm1 = this.registerModule('norm1', new BatchNorm2d(64));
  readonly up2 = this.registerModule('up2', new ConvTranspose2d(64, 32, 4, { stride: 2, padding: 1 }));
  readonly norm2 = this.registerModule('norm2', new BatchNorm2d(32));
  readonly up3 = this.registerModule('up3', new ConvTranspose2d(32, 3, 4, { stride: 2, padding: 1 }));

  forward(z: Tensor): Tensor {
    let x = this.project.forward(z).view(-1, 128, 4, 4);
    x = this.norm0.forward(x).relu();
    x = this.norm1.forward(this.up1.forward(x)).relu();
    x = this.norm2.forward(this.up2.forward(x)).relu();
    return this.up3.forward(x).tanh();
  }
}

class DcganDiscriminator extends Module {
  readonly conv1 = this.registerModule('conv1', new Conv2d(3, 32, 4, { stride: 2, padding: 1 }));
  readonly conv2 = this.registerModule('conv2', new Conv2d(32, 64, 4, { stride: 2, padding: 1 }));
  readonly conv3 = this.registerModule('conv3', new Conv2d(64, 128, 4, { stride: 2, padding: 1 }));
  readonly classify = this.registerModule('classify', new Linear(128 * 4 * 4, 1));

  forward(x: Tensor): Tensor {
    let h = this.conv1.forward(x).leakyRelu(0.2);
    h = this.conv2.forward(h).leakyRelu(0.2);
    h = this.conv3.forward(h).leakyRelu(0.2);
    return this.classify.forward(h.flatten(1));
  }
}

export function buildDcgan(seed: number): BenchModel {
  manualSeed(seed);
  const generator = new DcganGenerator();
  const discriminator = new DcganDiscriminator();
  const optimizerG = new Adam(generator, { lr: 2e-4, betas: [0.5, 0.999] });
  const optimizerD = new Adam(discriminator, { lr: 2e-4, betas: [0.5, 0.999] });
  const data = new Generator(seed + 1);
  const real = keep(tidy(() => rand([BATCH, 3, IMAGE, IMAGE], { generator: data }).mul(2).sub(1)));
  data.dispose();
  const realLabels = keep(ones([BATCH, 1]));
  const fakeLabels = keep(zeros([BATCH, 1]));
  const constants = [real, realLabels, fakeLabels];

  return {
    parameters: generator.parameterCount() + discriminator.parameterCount(),
    step: () =>
      tidy(() => {
        const fake = generator.forward(randn([BATCH, NOISE]));
        const lossD = bceWithLogits(discriminator.forward(real), realLabels).add(
          bceWithLogits(discriminator.forward(fake.detach()), fakeLabels),
        );
        optimizerD.zeroGrad();
        lossD.backward();
        optimizerD.step();
        const lossG = bceWithLogits(discriminator.forward(fake), realLabels);
        optimizerG.zeroGrad();
        lossG.backward();
        optimizerG.step();
        return [lossD.item(), lossG.item()];
      }),
    dispose: () => {
      optimizerG.dispose();
      optimizerD.dispose();
      generator.dispose();
      discriminator.dispose();
      for (const constant of constants) constant.dispose();
    },
  };
}
