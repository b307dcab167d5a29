// libtorch's autograd against central finite differences in float64, for a representative set of ops.
// Each loss weights the op's output with fixed random numbers so every output element matters differently.
import { test } from 'node:test';
import { tensor, where, F, type Tensor } from '../../src/tensor/index.js';
import { gradCheck, float64, noLeak } from './helpers.js';

/** sum(out * w) with a fixed weight of out's shape. */
function weighted(out: Tensor, seed = 99): Tensor {
  return out.mul(float64(out.shape, seed)).sum();
}

test('elementwise ops and broadcasting', () => {
  noLeak(() => {
    gradCheck('add/mul/div broadcast', [float64([3, 4], 1), float64([4], 2)], (a, b) =>
      weighted(
        a
          .mul(b)
          .add(a.div(b.add(2)))
          .sub(b),
      ),
    );
    gradCheck('exp/log/sqrt', [float64([5], 3)], (x) => weighted(x.exp().add(x.add(1).log()).add(x.add(1).sqrt())));
    gradCheck('tanh/sigmoid/gelu/silu', [float64([6], 4)], (x) =>
      weighted(x.mul(3).tanh().add(x.sigmoid()).add(x.gelu()).add(x.silu())),
    );
    gradCheck('pow/square/abs/relu off zero', [float64([6], 5)], (x) =>
      weighted(x.add(1).pow(3).add(x.square()).add(x.abs()).add(x.relu())),
    );
    gradCheck('leakyRelu/elu/softplus/logSigmoid', [float64([6], 6)], (x) =>
      weighted(x.leakyRelu(0.2).add(x.elu()).add(x.softplus()).add(x.logSigmoid())),
    );
    gradCheck('where/clamp/maximum', [float64([8], 7), float64([8], 8)], (a, b) =>
      weighted(where(a.gt(0), a.mul(2), b).add(a.clamp(-0.3, 0.3)).add(a.maximum(b))),
    );
    gradCheck('scalar forms', [float64([5], 64)], (x) =>
      weighted(x.mul(3).add(x.div(4)).add(x.sub(0.5).mul(x)).add(x.add(2).rdiv(2)).add(x.rsub(1).square())),
    );
    gradCheck('mean/var/std', [float64([3, 5], 9)], (x) => weighted(x.mean(1)).add(x.var(0).sum()).add(x.std(1).sum()));
  });
});

test('matmul and bmm', () => {
  noLeak(() => {
    gradCheck('matmul', [float64([3, 4], 10), float64([4, 2], 11)], (a, b) => weighted(a.matmul(b)));
    gradCheck('batched matmul broadcast', [float64([2, 3, 4], 12), float64([4, 5], 13)], (a, b) =>
      weighted(a.matmul(b)),
    );
    gradCheck('bmm', [float64([2, 2, 3], 14), float64([2, 3, 2], 15)], (a, b) => weighted(a.bmm(b)));
  });
});

test('softmax, logSoftmax, logsumexp', () => {
  noLeak(() => {
    gradCheck('softmax', [float64([3, 5], 16)], (x) => weighted(F.softmax(x.mul(3), 1)));
    gradCheck('softmax dim 0', [float64([3, 5], 17)], (x) => weighted(F.softmax(x, 0)));
    gradCheck('logSoftmax', [float64([4, 3], 18)], (x) => weighted(F.logSoftmax(x.mul(2))));
    gradCheck('logsumexp', [float64([3, 4], 19)], (x) => weighted(x.mul(4).logsumexp(1)));
    gradCheck('logsumexp all', [float64([2, 3], 20)], (x) => x.logsumexp());
  });
});

test('conv2d and convTranspose2d (input, weight and bias)', () => {
  noLeak(() => {
    gradCheck('conv2d', [float64([2, 2, 5, 5], 21), float64([3, 2, 3, 3], 22), float64([3], 23)], (x, w, b) =>
      weighted(F.conv2d(x, w, b, { stride: 2, padding: 1 })),
    );
    gradCheck('conv2d groups dilation', [float64([1, 4, 6, 6], 24), float64([2, 2, 2, 2], 25)], (x, w) =>
      weighted(F.conv2d(x, w, null, { groups: 2, dilation: 2 })),
    );
    gradCheck('convTranspose2d', [float64([2, 3, 3, 3], 26), float64([3, 2, 4, 4], 27), float64([2], 28)], (x, w, b) =>
      weighted(F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 })),
    );
  });
});

test('layerNorm, groupNorm and batchNorm', () => {
  noLeak(() => {
    gradCheck(
      'layerNorm',
      [float64([3, 6], 29), float64([6], 30), float64([6], 31)],
      (x, w, b) => weighted(F.layerNorm(x, [6], w, b)),
      { tolerance: 1e-4 },
    );
    gradCheck('groupNorm', [float64([2, 4, 3], 32)], (x) => weighted(F.groupNorm(x, 2)), { tolerance: 1e-4 });
    gradCheck('batchNorm training', [float64([4, 3], 33)], (x) => weighted(F.batchNorm(x, { training: true })), {
      tolerance: 1e-4,
    });
  });
});

test('gather, indexSelect, index, embedding', () => {
  noLeak(() => {
    const picks = tensor(
      [
        [0, 2, 2],
        [1, 1, 0],
      ],
      { dtype: 'int64' },
    );
    gradCheck('gather', [float64([2, 4], 34)], (x) => weighted(x.gather(1, picks)));
    gradCheck('indexSelect', [float64([4, 3], 35)], (x) =>
      weighted(x.indexSelect(0, tensor([3, 0, 3], { dtype: 'int64' }))),
    );
    gradCheck('index', [float64([3, 3], 36)], (x) =>
      weighted(x.index([tensor([2, 0], { dtype: 'int64' }), tensor([1, 1], { dtype: 'int64' })])),
    );
    gradCheck('embedding', [float64([5, 2], 37)], (w) =>
      weighted(
        F.embedding(
          w,
          tensor(
            [
              [4, 1],
              [1, 0],
            ],
            { dtype: 'int64' },
          ),
        ),
      ),
    );
  });
});

test('max/avg pooling, bilinear and nearest interpolation', () => {
  noLeak(() => {
    gradCheck('maxPool2d', [float64([1, 2, 4, 4], 38)], (x) => weighted(F.maxPool2d(x, 2)));
    gradCheck('maxPool2d overlapping', [float64([1, 1, 5, 5], 39)], (x) =>
      weighted(F.maxPool2d(x, 3, { stride: 2, padding: 1 })),
    );
    gradCheck('avgPool2d', [float64([1, 2, 4, 4], 40)], (x) => weighted(F.avgPool2d(x, 2, { padding: 1 })));
    gradCheck('avgPool1d', [float64([2, 1, 6], 41)], (x) => weighted(F.avgPool1d(x, 3, { stride: 1 })));
    gradCheck('adaptiveAvgPool2d', [float64([1, 1, 5, 4], 42)], (x) => weighted(F.adaptiveAvgPool2d(x, [2, 3])));
    gradCheck('bilinear up', [float64([1, 2, 3, 3], 43)], (x) =>
      weighted(F.interpolate(x, { size: [5, 7], mode: 'bilinear' })),
    );
    gradCheck('bilinear down, aligned', [float64([1, 1, 6, 5], 44)], (x) =>
      weighted(F.interpolate(x, { size: [4, 3], mode: 'bilinear', alignCorners: true })),
    );
    gradCheck('nearest', [float64([1, 1, 2, 3], 45)], (x) => weighted(F.interpolate(x, { scaleFactor: 2 })));
  });
});

test('GRU and LSTM (input, state and every weight)', () => {
  noLeak(() => {
    const args = { hasBiases: true, layers: 1, dropout: 0, training: true, bidirectional: false, batchFirst: true };
    const [input, hidden] = [2, 3];
    const gru = [
      float64([3 * hidden, input], 46),
      float64([3 * hidden, hidden], 47),
      float64([3 * hidden], 48),
      float64([3 * hidden], 49),
    ];
    gradCheck('GRU', [float64([2, 4, input], 50), float64([1, 2, hidden], 51), ...gru], (x, h0, ...params) => {
      const [output, last] = F.gru(x, h0 as Tensor, params, args);
      return weighted(output).add(weighted(last, 7));
    });
    const lstm = [
      float64([4 * hidden, input], 52),
      float64([4 * hidden, hidden], 53),
      float64([4 * hidden], 54),
      float64([4 * hidden], 55),
    ];
    gradCheck(
      'LSTM',
      [float64([2, 3, input], 56), float64([1, 2, hidden], 57), float64([1, 2, hidden], 58), ...lstm],
      (x, h0, c0, ...params) => {
        const [output, h, c] = F.lstm(x, h0 as Tensor, c0 as Tensor, params, args);
        return weighted(output).add(weighted(h, 7)).add(weighted(c, 8));
      },
    );
  });
});

test('losses and stft magnitude', () => {
  noLeak(() => {
    gradCheck('crossEntropy', [float64([3, 4], 59)], (x) =>
      F.crossEntropy(x.mul(3), tensor([3, 0, 1], { dtype: 'int64' })),
    );
    gradCheck('bceWithLogits', [float64([5], 60)], (x) =>
      F.bceWithLogits(x.mul(4), tensor([1, 0, 1, 1, 0], { dtype: 'float64' })),
    );
    gradCheck('mseLoss', [float64([5], 61), float64([5], 62)], (a, b) => F.mseLoss(a, b));
    gradCheck('stft magnitude', [float64([32], 63)], (x) =>
      weighted(F.stft(x, { nFft: 8, hopLength: 4, window: F.hannWindow(8).to('float64') }).abs()),
    );
  });
});
