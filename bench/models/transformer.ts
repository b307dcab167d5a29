// One-block transformer LM step (mmgen side of transformer.py): batch 32 x 128 tokens, vocab 64,
// width 256, 4 heads, feed-forward 1024, no dropout; token + positional embedding ->
// TransformerEncoderLayer with a causal mask -> linear -> cross-entropy; Adam.
import { type Tensor, Generator, arange, full, keep, manualSeed, randint, tidy } from '../../src/tensor/index.js';
import { Embedding, Linear, Module, TransformerEncoderLayer, crossEntropy } from '../../src/nn/index.js';
import { Adam } from '../../src/optim/index.js';
import { type BenchModel, minimise } from './types.js';

const BATCH = 32;
const LENGTH = 128;
const VOCAB = 64;
const WIDTH = 256;
const HEADS = 4;
const FEEDFORWARD = 1024;

class TinyLM extends Module {
  readonly tokens = this.registerModule('tokens', new Embedding(VOCAB, WIDTH));
  readonly positions = this.registerModule('positions', new Embedding(LENGTH, WIDTH));
  readonly block = this.registerModule(
    'block',
    new TransformerEncoderLayer(WIDTH, HEADS, { dimFeedforward: FEEDFORWARD, dropout: 0, batchFirst: true }),
  );
  readonly head = this.registerModule('head', new Linear(WIDTH, VOCAB));

  forward(tokens: Tensor, mask: Tensor): Tensor {
    const positions = arange(tokens.shape[1] ?? 0);
    const x = this.tokens.forward(tokens).add(this.positions.forward(positions));
    return this.head.forward(this.block.forward(x, { mask }));
  }
}

export function buildTransformer(seed: number): BenchModel {
  manualSeed(seed);
  const model = new TinyLM();
  const optimizer = new Adam(model, { lr: 1e-3 });
  const data = new Generator(seed + 1);
  const [inputs, targets, mask] = tidy(() => {
    const text = randint(0, VOCAB, [BATCH, LENGTH + 1], { generator: data });
    // float mask, -inf above the diagonal, as nn.Transformer.generate_square_subsequent_mask
    const causal = full([LENGTH, LENGTH], -Infinity).triu(1);
    return [keep(text.narrow(1, 0, LENGTH).contiguous()), keep(text.narrow(1, 1, LENGTH).contiguous()), keep(causal)];
  });
  data.dispose();

  return {
    parameters: model.parameterCount(),
    step: () =>
      tidy(() => {
        const logits = model.forward(inputs, mask);
        const loss = crossEntropy(logits.reshape(-1, VOCAB), targets.reshape(-1));
        return [minimise(optimizer, loss)];
      }),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      for (const constant of [inputs, targets, mask]) constant.dispose();
    },
  };
}
