import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tensor, dispose, manualSeed, memory, ones, randn, tensor, tidy, zeros } from '../../src/tensor/index.js';
import { loadSafetensors, saveSafetensors } from '../../src/tensor/safetensors.js';
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  ConvTranspose2d,
  Embedding,
  GRU,
  GroupNorm,
  LSTM,
  LayerNorm,
  Linear,
  Module,
  MultiheadAttention,
  ReLU,
  Sequential,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
  causalMask,
  spectralNorm,
} from '../../src/nn/index.js';
import { assertClose, noLeaks } from './helpers.js';

const directory = mkdtempSync(join(tmpdir(), 'mmgen-nn-module-'));
process.on('exit', () => rmSync(directory, { recursive: true, force: true }));

class Block extends Module {
  readonly scale: Tensor;
  readonly inner: Sequential;
  constructor() {
    super();
    this.scale = this.registerParameter('scale', ones([2]));
    this.registerBuffer('counter', zeros([1]));
    this.inner = this.registerModule('inner', new Sequential(new Linear(2, 3), new ReLU(), new BatchNorm1d(3)));
  }
  forward(x: Tensor): Tensor {
    return this.inner.forward(x.mul(this.scale));
  }
}

test('names, order and modes follow PyTorch', async () => {
  await noLeaks(() => {
    const block = new Block();
    assert.deepEqual(
      block.namedParameters().map(([name]) => name),
      ['scale', 'inner.0.weight', 'inner.0.bias', 'inner.2.weight', 'inner.2.bias'],
    );
    assert.deepEqual(
      block.namedBuffers().map(([name]) => name),
      ['counter', 'inner.2.running_mean', 'inner.2.running_var', 'inner.2.num_batches_tracked'],
    );
    assert.deepEqual(
      [...block.stateDict().keys()],
      [
        'scale',
        'counter',
        'inner.0.weight',
        'inner.0.bias',
        'inner.2.weight',
        'inner.2.bias',
        'inner.2.running_mean',
        'inner.2.running_var',
        'inner.2.num_batches_tracked',
      ],
    );
    assert.deepEqual(
      block.namedModules().map(([name]) => name),
      ['', 'inner', 'inner.0', 'inner.1', 'inner.2'],
    );
    assert.equal(block.parameterCount(), 2 + 6 + 3 + 3 + 3);
    // the state dict holds the module's own tensors, not copies
    assert.equal(block.stateDict().get('scale'), block.scale);
    assert.ok(block.parameters().every((p) => p.requiresGrad));
    assert.ok(block.namedBuffers().every(([, b]) => !b.requiresGrad));
    assert.equal(block.training, true);
    block.eval();
    assert.ok(block.namedModules().every(([, m]) => !m.training));
    block.train();
    assert.ok(block.namedModules().every(([, m]) => m.training));
    block.dispose();
    assert.ok(block.scale.isDisposed);
  });
});

test('parameters survive an enclosing tidy; zeroGrad drops gradients', async () => {
  await noLeaks(() => {
    const layer = tidy(() => new Linear(3, 2));
    assert.ok(!layer.weight.isDisposed);
    tidy(() =>
      layer
        .forward(ones([4, 3]))
        .sum()
        .backward(),
    );
    const gradient = layer.weight.grad;
    assert.ok(gradient);
    gradient.dispose();
    layer.zeroGrad();
    assert.equal(layer.weight.grad, null);
    layer.dispose();
  });
});

test('tied weights are listed once by parameters() but under both names in the state dict', async () => {
  await noLeaks(() => {
    class Tied extends Module {
      constructor(shared: Tensor) {
        super();
        this.registerParameter('first', shared);
        this.registerModule(
          'child',
          new (class extends Module {
            constructor() {
              super();
              this.registerParameter('second', shared);
            }
          })(),
        );
      }
    }
    const tied = new Tied(zeros([2]));
    assert.equal(tied.parameters().length, 1);
    assert.deepEqual([...tied.stateDict().keys()], ['first', 'child.second']);
    tied.dispose();
  });
});

test('loadStateDict copies in place and names every problem', async () => {
  await noLeaks(() => {
    manualSeed(1);
    const source = new Linear(3, 2);
    const target = new Linear(3, 2);
    const weightObject = target.weight;
    target.loadStateDict(source.stateDict());
    assert.equal(target.weight, weightObject);
    assert.deepEqual(target.weight.toFlatArray(), source.weight.toFlatArray());
    assert.deepEqual(target.bias?.toFlatArray(), source.bias?.toFlatArray());

    const wrong = new Linear(4, 2);
    const before = target.weight.toFlatArray();
    assert.throws(
      () => target.loadStateDict(wrong.stateDict()),
      /cannot load state into Linear\(3 -> 2\): size mismatch for "weight": the file has \[2, 4\], this module has \[2, 3\]/,
    );
    assert.deepEqual(target.weight.toFlatArray(), before, 'a failed load must leave the module unchanged');

    const partial = new Map([
      ['weight', source.weight],
      ['extra', source.bias as Tensor],
    ]);
    assert.throws(() => target.loadStateDict(partial), /missing keys: bias; unexpected keys: extra.*strict: false/);
    const result = target.loadStateDict(partial, { strict: false });
    assert.deepEqual(result, { missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    // shape mismatches stay errors when not strict
    const tiny = zeros([1]);
    assert.throws(
      () => target.loadStateDict(new Map([['weight', tiny]]), { strict: false }),
      /size mismatch for "weight"/,
    );
    tiny.dispose();
    for (const m of [source, target, wrong]) m.dispose();
  });
});

test('save and load round-trip bit-exact through safetensors, buffers included', async () => {
  await noLeaks(async () => {
    manualSeed(2);
    const block = new Block();
    tidy(() => {
      block.forward(randn([5, 2]));
    }); // moves BatchNorm running stats off their defaults
    const path = join(directory, 'block.safetensors');
    await block.save(path, { recipe: 'test' });
    const copy = new Block();
    await copy.load(path);
    for (const [name, value] of block.stateDict()) {
      const loaded = copy.stateDict().get(name);
      assert.ok(loaded, name);
      const a = value.dataSync();
      const b = loaded.dataSync();
      assert.ok(
        Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
        `${name} differs`,
      );
      assert.equal(loaded.dtype, value.dtype);
    }
    assert.equal(copy.stateDict().get('inner.2.num_batches_tracked')?.item(), 1);
    const { metadata, tensors } = await loadSafetensors(path);
    assert.deepEqual(metadata, { recipe: 'test' });
    for (const t of tensors.values()) t.dispose();
    const small = new Linear(1, 1);
    await assert.rejects(small.load(join(directory, 'absent.safetensors')), /safetensors file not found/);
    await assert.rejects(
      small.load(path),
      /block\.safetensors: cannot load state into Linear\(1 -> 1\): .*missing keys: weight, bias/,
    );
    small.dispose();
    block.dispose();
    copy.dispose();
  });
});

test('loads a safetensors file assembled by hand, as PyTorch would write it for nn.Linear(2, 2)', async () => {
  await noLeaks(async () => {
    const header = JSON.stringify({
      __metadata__: { format: 'pt' },
      bias: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      weight: { dtype: 'F32', shape: [2, 2], data_offsets: [8, 24] },
    });
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const data = Buffer.alloc(24);
    [0.5, -0.5, 1, 2, 3, 4].forEach((value, i) => data.writeFloatLE(value, i * 4));
    const path = join(directory, 'hand-linear.safetensors');
    writeFileSync(path, Buffer.concat([length, Buffer.from(header), data]));
    const layer = new Linear(2, 2);
    await layer.load(path);
    assert.deepEqual(layer.weight.toArray(), [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(layer.bias?.toArray(), [0.5, -0.5]);
    // y = x W^T + b for x = [1, 1]
    const y = tidy(() => layer.forward(tensor([[1, 1]])));
    assert.deepEqual(y.toArray(), [[3.5, 6.5]]);
    y.dispose();
    layer.dispose();
  });
});

test('to(float64) converts in place, keeps fields pointing at the parameters, and keeps spectral-norm state', async () => {
  await noLeaks(() => {
    manualSeed(3);
    const layer = spectralNorm(new Linear(3, 2));
    const weight = layer.weight;
    const values = weight.toFlatArray();
    layer.to('float64');
    assert.equal(layer.weight, weight);
    assert.equal(weight.dtype, 'float64');
    assert.ok(weight.requiresGrad && weight.isLeaf);
    assert.equal(layer.stateDict().get('weight_u')?.dtype, 'float64');
    assertClose(weight, values, 0);
    const y = tidy(() => layer.forward(ones([1, 3], 'float64')));
    assert.equal(y.dtype, 'float64');
    y.dispose();
    layer.dispose();
  });
});

test('Sequential frees intermediates as it goes and chains in order', async () => {
  await noLeaks(() => {
    manualSeed(4);
    const net = new Sequential(new Linear(2, 4), new ReLU(), new Linear(4, 1));
    assert.deepEqual(
      net.namedParameters().map(([n]) => n),
      ['0.weight', '0.bias', '2.weight', '2.bias'],
    );
    const x = randn([3, 2]);
    const expected = tidy(() => net.at(2).forward(net.at(1).forward(net.at(0).forward(x))));
    const y = net.forward(x); // outside tidy: only the output stays alive
    assert.deepEqual(y.toFlatArray(), expected.toFlatArray());
    for (const t of [x, y, expected]) t.dispose();
    assert.throws(() => net.at(5), /index 5 is out of range for 3 modules/);
    net.dispose();
  });
});

test('registration rejects duplicate and malformed names', async () => {
  await noLeaks(() => {
    const first = zeros([1]);
    const second = zeros([1]);
    class Bad extends Module {
      constructor(name: string) {
        super();
        this.registerParameter('weight', first);
        this.registerParameter(name, second);
      }
    }
    assert.throws(() => new Bad('weight'), /"weight" is already registered/);
    assert.throws(() => new Bad('a.b'), /parameter name "a.b" must be letters, digits or underscores/);
    first.dispose();
    second.dispose();
  });
});

test('save writes through a temporary file, then renames', async () => {
  await noLeaks(async () => {
    const layer = new Linear(2, 1);
    const path = join(directory, 'atomic.safetensors');
    await layer.save(path);
    const first = readFileSync(path);
    await saveSafetensors(path, layer.stateDict());
    assert.ok(readFileSync(path).equals(first));
    layer.dispose();
  });
});

test('a forward outside tidy leaves exactly its outputs alive (layers keep no per-call tensors)', async () => {
  await noLeaks(() => {
    manualSeed(5);
    const inputs = {
      flat: randn([4, 6]),
      image: randn([2, 3, 5, 5]),
      sequence: randn([5, 2, 6]),
      tokens: tensor(
        [
          [1, 2],
          [0, 3],
        ],
        { dtype: 'int64' },
      ),
      mask: causalMask(5),
    };
    const cases: [Module, () => unknown][] = [];
    const add = <M extends Module>(module: M, run: (m: M) => unknown): void => {
      cases.push([module, () => run(module)]);
    };
    add(new Linear(6, 3), (m) => m.forward(inputs.flat));
    add(spectralNorm(new Linear(6, 3)), (m) => m.forward(inputs.flat));
    add(spectralNorm(new Conv2d(3, 4, 3)), (m) => m.forward(inputs.image));
    add(new Conv2d(3, 4, 3, { padding: 1, paddingMode: 'reflect' }), (m) => m.forward(inputs.image));
    add(new ConvTranspose2d(3, 2, 2, { stride: 2 }), (m) => m.forward(inputs.image));
    add(new BatchNorm2d(3), (m) => m.forward(inputs.image));
    add(new LayerNorm(6), (m) => m.forward(inputs.flat));
    add(new GroupNorm(3, 3), (m) => m.forward(inputs.image));
    add(spectralNorm(new Embedding(4, 6)), (m) => m.forward(inputs.tokens));
    add(new GRU(6, 4, { layers: 2 }), (m) => m.forward(inputs.sequence));
    add(new LSTM(6, 4), (m) => m.forward(inputs.sequence));
    add(new MultiheadAttention(6, 2), (m) =>
      m.forward(inputs.sequence, inputs.sequence, inputs.sequence, { attnMask: inputs.mask }),
    );
    add(new TransformerEncoderLayer(6, 2, { dimFeedforward: 8 }), (m) =>
      m.forward(inputs.sequence, { mask: inputs.mask }),
    );
    add(new TransformerDecoderLayer(6, 2, { dimFeedforward: 8 }), (m) =>
      m.forward(inputs.sequence, inputs.sequence, { mask: inputs.mask }),
    );
    add(new Sequential(new Linear(6, 5), new ReLU(), new Linear(5, 2)), (m) => m.forward(inputs.flat));
    for (const [module, run] of cases) {
      const before = memory().tensors;
      const outputs = run();
      const count = Array.isArray(outputs) ? outputs.flat().length : 1;
      assert.equal(
        memory().tensors - before,
        count,
        `${module.describe()} left ${memory().tensors - before - count} extra tensors`,
      );
      dispose(outputs);
      module.dispose();
    }
    dispose(inputs);
  });
});
