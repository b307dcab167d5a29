// GRU character-model step (mmgen side of gru.py): batch 64 x 64 steps, vocab 64, embedding 64,
// hidden 256; embedding -> GRU -> linear -> cross-entropy; Adam.
import { type Tensor, Generator, keep, manualSeed, randint, tidy } from '../../src/tensor/index.js';
import { Embedding, GRU, Linear, Module, crossEntropy } from '../../src/nn/index.js';
import { Adam } from '../../src/optim/index.js';
import { type BenchModel, minimise } from './types.js';

const BATCH = 64;
const STEPS = 64;
const VOCAB = 64;
const EMBED = 64;
const HIDDEN = 256;

class CharModel extends Module {
  readonly embed = this.registerModule('embed', new Embedding(VOCAB, EMBED));
  readonly rnn = this.registerModule('rnn', new GRU(EMBED, HIDDEN, { batchFirst: true }));
  readonly head = this.registerModule('head', new Linear(HIDDEN, VOCAB));

  forward(tokens: Tensor): Tensor {
    const [output] = this.rnn.forward(this.embed.forward(tokens));
    return this.head.forward(output);
  }
}

export function buildGru(seed: number): BenchModel {
  manualSeed(seed);
  const model = new CharModel();
  const optimizer = new Adam(model, { lr: 2e-3 });
  const data = new Generator(seed + 1);
  const [inputs, targets] = tidy(() => {
    const text = randint(0, VOCAB, [BATCH, STEPS + 1], { generator: data });
    return [keep(text.narrow(1, 0, STEPS).contiguous()), keep(text.narrow(1, 1, STEPS).contiguous())];
  });
  data.dispose();

  return {
    parameters: model.parameterCount(),
    step: () =>
      tidy(() => {
        const logits = model.forward(inputs);
        const loss = crossEntropy(logits.reshape(-1, VOCAB), targets.reshape(-1));
        return [minimise(optimizer, loss)];
      }),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      inputs.dispose();
      targets.dispose();
    },
  };
}
