// Numbers from PyTorch itself: Debian's python3-torch 1.13 (the same libtorch build mmgen links),
// printed by a script along these lines and hard-coded here (the tests do not need python):
//   torch.manual_seed(0); l = torch.nn.Linear(3, 2); print(l.weight, l.bias)
//   torch.manual_seed(6); m = torch.nn.MultiheadAttention(4, 2)
//   x = torch.sin(torch.arange(24.) * 0.7).reshape(3, 2, 4); print(m(x, x, x))
//   torch.manual_seed(7); enc = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, batch_first=True)
//   torch.manual_seed(9); sn = torch.nn.utils.spectral_norm(nn.Linear(4, 3)); print(sn(torch.ones(1, 4)), sn.weight_u)
//   ... (each case below names its seed and construction)
// Same seed => same default-generator draws => same initial weights, so the outputs match to float precision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor, arange, manualSeed, ones, tensor, tidy } from '../../src/tensor/index.js';
import {
  type Module,
  ConvTranspose2d,
  Conv2d,
  Embedding,
  GRU,
  LSTM,
  Linear,
  MultiheadAttention,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
  BatchNorm2d,
  causalMask,
  spectralNorm,
} from '../../src/nn/index.js';
import { assertClose, noLeaks } from './helpers.js';

const keysOf = (module: Module): [string, number[]][] =>
  [...module.stateDict()].map(([name, value]) => [name, value.shape]);
const wave = (count: number, step: number, fn: 'sin' | 'cos', shape: number[]): Tensor =>
  tidy(() => {
    const t = arange(count, undefined, 1, 'float32').mul(step);
    return (fn === 'sin' ? t.sin() : t.cos()).reshape(...shape);
  });

test('default initialisation draws exactly what PyTorch draws for the same seed', async () => {
  await noLeaks(() => {
    manualSeed(0);
    const linear = new Linear(3, 2);
    assertClose(
      linear.weight,
      [-0.0043225, 0.3097158, -0.4751853, -0.4248946, -0.222369, 0.1548207],
      1e-7,
      'Linear.weight',
    );
    assertClose(linear.bias as Tensor, [-0.0114391, 0.4577749], 1e-7, 'Linear.bias');
    manualSeed(1);
    const conv = new Conv2d(2, 3, 3);
    assertClose(
      conv.weight.toFlatArray().slice(0, 4),
      [0.1214487, -0.1040339, -0.0456936, 0.1106313],
      1e-7,
      'Conv2d.weight',
    );
    assertClose(conv.bias as Tensor, [0.2347711, 0.1889362, -0.0110364], 1e-7, 'Conv2d.bias');
    manualSeed(2);
    const transposed = new ConvTranspose2d(4, 2, 3, { stride: 2 });
    assert.deepEqual(transposed.weight.shape, [4, 2, 3, 3]);
    assertClose(
      transposed.weight.toFlatArray().slice(0, 4),
      [0.0540678, -0.0560911, 0.0646363, -0.0120392],
      1e-7,
      'ConvTranspose2d.weight',
    );
    assertClose(
      transposed.bias as Tensor,
      [-0.1550035, 0.0745343],
      1e-7,
      'ConvTranspose2d.bias (fan_in from weight dim 1)',
    );
    manualSeed(3);
    const embedding = new Embedding(5, 3, { paddingIdx: 1 });
    assertClose(
      embedding.weight,
      [
        0.8032761, 0.1748334, 0.0889781, 0, 0, 0, 0.3374951, 1.0111159, -1.4351794, 0.9774318, 0.52205, 1.2379167,
        -0.8646356, 0.2989608, 0.4192187,
      ],
      1e-7,
      'Embedding.weight',
    );
    manualSeed(4);
    const gru = new GRU(3, 4, { layers: 2, bidirectional: true });
    assertClose(
      gru.parameters()[0]?.toFlatArray().slice(0, 3) ?? [],
      [0.0596386, 0.0590924, -0.4085432],
      1e-7,
      'GRU.weight_ih_l0',
    );
    const total = tidy(() => gru.parameters().reduce((sum, p) => sum + p.sum().item(), 0));
    assertClose([total], [11.712400436401367], 1e-5, 'sum of GRU parameters');
    manualSeed(5);
    const attention = new MultiheadAttention(4, 2);
    assertClose(
      attention.inProjWeight.toFlatArray().slice(0, 3),
      [0.2079186, -0.2921346, -0.5625067],
      1e-7,
      'in_proj_weight',
    );
    assertClose(
      attention.outProj.weight.toFlatArray().slice(0, 3),
      [0.3302519, -0.3738891, 0.4074697],
      1e-7,
      'out_proj.weight',
    );
    assert.ok(attention.inProjBias?.toFlatArray().every((v) => v === 0));
    assert.ok(attention.outProj.bias?.toFlatArray().every((v) => v === 0));
    for (const module of [linear, conv, transposed, embedding, gru, attention]) module.dispose();
  });
});

test("state-dict names and shapes are PyTorch's", async () => {
  await noLeaks(() => {
    const gru = new GRU(3, 4, { layers: 2, bidirectional: true });
    const expectedGru: [string, number[]][] = [];
    for (const layer of [0, 1]) {
      for (const suffix of ['', '_reverse']) {
        const input = layer === 0 ? 3 : 8;
        expectedGru.push(
          [`weight_ih_l${layer}${suffix}`, [12, input]],
          [`weight_hh_l${layer}${suffix}`, [12, 4]],
          [`bias_ih_l${layer}${suffix}`, [12]],
          [`bias_hh_l${layer}${suffix}`, [12]],
        );
      }
    }
    assert.deepEqual(keysOf(gru), expectedGru);
    const lstm = new LSTM(3, 4, { bias: false });
    assert.deepEqual(keysOf(lstm), [
      ['weight_ih_l0', [16, 3]],
      ['weight_hh_l0', [16, 4]],
    ]);
    const norm = new BatchNorm2d(3);
    assert.deepEqual(keysOf(norm), [
      ['weight', [3]],
      ['bias', [3]],
      ['running_mean', [3]],
      ['running_var', [3]],
      ['num_batches_tracked', []],
    ]);
    assert.equal(norm.numBatchesTracked?.dtype, 'int64');
    const attention = new MultiheadAttention(4, 2);
    assert.deepEqual(keysOf(attention), [
      ['in_proj_weight', [12, 4]],
      ['in_proj_bias', [12]],
      ['out_proj.weight', [4, 4]],
      ['out_proj.bias', [4]],
    ]);
    const attentionBlock: [string, number[]][] = [
      ['in_proj_weight', [24, 8]],
      ['in_proj_bias', [24]],
      ['out_proj.weight', [8, 8]],
      ['out_proj.bias', [8]],
    ];
    const prefixed = (prefix: string): [string, number[]][] =>
      attentionBlock.map(([name, shape]) => [`${prefix}.${name}`, shape]);
    const feedForward: [string, number[]][] = [
      ['linear1.weight', [16, 8]],
      ['linear1.bias', [16]],
      ['linear2.weight', [8, 16]],
      ['linear2.bias', [8]],
    ];
    const norms = (count: number): [string, number[]][] =>
      Array.from({ length: count }, (_, i): [string, number[]][] => [
        [`norm${i + 1}.weight`, [8]],
        [`norm${i + 1}.bias`, [8]],
      ]).flat();
    const encoder = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    assert.deepEqual(keysOf(encoder), [...prefixed('self_attn'), ...feedForward, ...norms(2)]);
    const decoder = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    assert.deepEqual(keysOf(decoder), [
      ...prefixed('self_attn'),
      ...prefixed('multihead_attn'),
      ...feedForward,
      ...norms(3),
    ]);
    const normalized = spectralNorm(new Linear(3, 2));
    assert.deepEqual(keysOf(normalized), [
      ['bias', [2]],
      ['weight_orig', [2, 3]],
      ['weight_u', [2]],
      ['weight_v', [3]],
    ]);
    for (const module of [gru, lstm, norm, attention, encoder, decoder, normalized]) module.dispose();
  });
});

test('MultiheadAttention matches PyTorch: self, masked, cross, weights', async () => {
  await noLeaks(() => {
    manualSeed(6);
    const attention = new MultiheadAttention(4, 2);
    tidy(() => {
      const x = wave(24, 0.7, 'sin', [3, 2, 4]);
      const memory = wave(40, 0.3, 'cos', [5, 2, 4]);
      const [output, weights] = attention.forwardWithWeights(x, x, x);
      assertClose(
        output,
        [
          0.0288927, 0.3040887, -0.1010515, -0.090998, 0.0768795, -0.2503046, 0.058514, 0.090702, 0.0282653, 0.302784,
          -0.1010416, -0.0901279, 0.0745251, -0.2522504, 0.0603511, 0.0904676, 0.0274547, 0.3009018, -0.1009225,
          -0.0889316, 0.0713268, -0.2544562, 0.0621439, 0.0903655,
        ],
        2e-6,
        'self',
      );
      assert.deepEqual(weights.shape, [2, 3, 3]);
      assertClose(
        weights,
        [
          0.3309527, 0.3271054, 0.341942, 0.332198, 0.3323342, 0.3354678, 0.3339286, 0.3379154, 0.3281561, 0.3259863,
          0.3300142, 0.3439995, 0.3357356, 0.3350143, 0.3292501, 0.3444225, 0.3389973, 0.3165802,
        ],
        2e-6,
        'weights',
      );
      const keyPadding = tensor(
        [
          [0, 0, 1],
          [0, 0, 0],
        ],
        { dtype: 'bool' },
      );
      assertClose(
        attention.forward(x, x, x, { attnMask: causalMask(3), keyPaddingMask: keyPadding }),
        [
          0.2442611, 0.3437701, -0.1687306, -0.0669007, -0.146985, -0.3705426, 0.1524418, 0.0912729, 0.1398232,
          0.3512548, -0.1442951, -0.0869783, -0.0309297, -0.3340259, 0.1117231, 0.0990063, 0.1381197, 0.3495584,
          -0.1436096, -0.0862929, 0.0713268, -0.2544562, 0.0621439, 0.0903655,
        ],
        2e-6,
        'masked',
      );
      assertClose(
        attention.forward(x, memory, memory),
        [
          -0.0278531, -0.0242747, 0.009743, 0.01125, -0.0093185, -0.0053171, 0.0027389, 0.003559, -0.0228837,
          -0.0187289, 0.0081038, 0.0083143, -0.0171471, -0.0139207, 0.0057265, 0.0076572, -0.0122676, -0.0112886,
          0.0052534, 0.0045452, -0.028456, -0.0222403, 0.0092211, 0.0114057,
        ],
        2e-6,
        'cross',
      );
    });
    attention.dispose();
  });
});

test('transformer layers match PyTorch (post-norm encoder, pre-norm decoder with causal mask)', async () => {
  await noLeaks(() => {
    manualSeed(7);
    const encoder = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, batchFirst: true });
    manualSeed(8);
    const decoder = new TransformerDecoderLayer(4, 2, {
      dimFeedforward: 6,
      dropout: 0,
      batchFirst: true,
      normFirst: true,
    });
    tidy(() => {
      const x = wave(24, 0.7, 'sin', [2, 3, 4]);
      const memory = wave(40, 0.3, 'cos', [2, 5, 4]);
      assertClose(
        encoder.forward(x),
        [
          -1.5137744, -0.2093497, 1.1615947, 0.5615293, 1.489156, 0.3153597, -0.7367266, -1.067789, -1.2828861,
          -0.6653304, 0.8912683, 1.0569482, 1.4463838, 0.3469191, -0.5969592, -1.1963437, -0.7751239, -1.1535057,
          0.6412333, 1.2873962, 1.2714731, 0.5350934, -0.4210131, -1.3855534,
        ],
        1e-5,
        'encoder',
      );
      assertClose(
        decoder.forward(x, memory, { mask: causalMask(3) }),
        [
          -0.5580468, 0.2660462, 1.2169429, 2.0163674, 1.1333208, 0.7347623, -1.3067148, -0.8747683, -1.0422232,
          -0.4029778, 0.8790483, 1.9498878, 1.9111357, 1.6793234, -1.0741599, -1.2901013, -1.1978571, -1.105378,
          0.3363093, 1.5075297, 1.7027115, 2.0754836, -0.2953318, -0.4013075,
        ],
        1e-5,
        'decoder',
      );
    });
    encoder.dispose();
    decoder.dispose();
  });
});

test('GRU, LSTM and spectral norm match PyTorch', async () => {
  await noLeaks(() => {
    manualSeed(10);
    const gru = new GRU(3, 4, { batchFirst: true });
    manualSeed(11);
    const lstm = new LSTM(3, 4, { batchFirst: true });
    manualSeed(9);
    const normalized = spectralNorm(new Linear(4, 3));
    const state = normalized.stateDict();
    assertClose(state.get('weight_u') as Tensor, [0.5931818, -0.5570504, 0.5812318], 1e-6, 'initial u');
    assertClose(state.get('weight_v') as Tensor, [0.3020405, 0.5642834, -0.7563065, -0.1354858], 1e-6, 'initial v');
    tidy(() => {
      const x = wave(18, 0.5, 'sin', [2, 3, 3]);
      const [output, hidden] = gru.forward(x);
      assertClose(
        output,
        [
          -0.2332049, -0.0465443, 0.126963, 0.0699221, -0.4956529, -0.2852342, 0.3309682, 0.3325858, 0.1099183,
          -0.2309679, 0.0715605, 0.3979844, 0.6051419, 0.3313201, -0.3686088, 0.0141302, 0.0645421, 0.2260522,
          -0.1814166, -0.0274989, -0.3849969, -0.1437925, 0.221864, 0.2102694,
        ],
        1e-6,
        'GRU output',
      );
      assertClose(
        hidden,
        [0.1099183, -0.2309679, 0.0715605, 0.3979844, -0.3849969, -0.1437925, 0.221864, 0.2102694],
        1e-6,
        'GRU hN',
      );
      const [, [h, c]] = lstm.forward(x);
      assertClose(
        h,
        [-0.0912288, -0.0423861, 0.0902451, -0.2365125, -0.1948041, 0.034769, -0.1027267, -0.2702035],
        1e-6,
        'LSTM hN',
      );
      assertClose(
        c,
        [-0.1831159, -0.0830342, 0.1181364, -0.5138619, -0.4470102, 0.0593101, -0.1818566, -0.7211564],
        1e-6,
        'LSTM cN',
      );
      assertClose(normalized.forward(ones([1, 4])), [-0.0708187, 1.1452364, 0.4341645], 1e-6, 'spectral-norm output');
    });
    assertClose(
      state.get('weight_u') as Tensor,
      [0.0615048, -0.8511709, 0.5212728],
      1e-6,
      'u after one power iteration',
    );
    for (const module of [gru, lstm, normalized]) module.dispose();
  });
});
