import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, type Tensor } from '../../src/tensor/index.js';
import { EMA, type EmaModule } from '../../src/optim/index.js';
import { assertClose, withoutLeaks } from './helpers.js';

/** A minimal module: the EMA only uses namedParameters()/namedBuffers() of nn.Module. */
class TinyModule implements EmaModule {
  weight = tensor([1.0, 2.0]).requiresGrad_();
  bias = tensor([-1.0]).requiresGrad_();
  runningMean = tensor([5.0]);
  batches = tensor([3], { dtype: 'int64' });
  namedParameters(): [string, Tensor][] {
    return [
      ['layer.weight', this.weight],
      ['layer.bias', this.bias],
    ];
  }
  namedBuffers(): [string, Tensor][] {
    return [
      ['norm.running_mean', this.runningMean],
      ['norm.num_batches_tracked', this.batches],
    ];
  }
  set(weight: number[], bias: number, mean: number, batches: number): void {
    const updates: [Tensor, number[], 'float32' | 'int64'][] = [
      [this.weight, weight, 'float32'],
      [this.bias, [bias], 'float32'],
      [this.runningMean, [mean], 'float32'],
      [this.batches, [batches], 'int64'],
    ];
    for (const [target, values, dtype] of updates) {
      const source = tensor(values, { dtype });
      target.copy_(source);
      source.dispose();
    }
  }
  dispose(): void {
    for (const value of [this.weight, this.bias, this.runningMean, this.batches]) value.dispose();
  }
}

test('EMA averages parameters with a fixed decay and copies buffers', () =>
  withoutLeaks(() => {
    const module = new TinyModule();
    const ema = new EMA(module, { decay: 0.75 });
    assert.deepEqual(
      [...ema.shadow.keys()],
      ['layer.weight', 'layer.bias', 'norm.running_mean', 'norm.num_batches_tracked'],
    );
    assert.equal(ema.shadow.get('layer.weight')?.requiresGrad, false);
    module.set([5.0, 6.0], 3.0, 7.0, 4);
    ema.update();
    // 0.75 * [1, 2] + 0.25 * [5, 6] = [2, 3]; 0.75 * -1 + 0.25 * 3 = 0; buffers copied: 7, 4
    assert.deepEqual(ema.shadow.get('layer.weight')?.toFlatArray(), [2, 3]);
    assert.deepEqual(ema.shadow.get('layer.bias')?.toFlatArray(), [0]);
    assert.deepEqual(ema.shadow.get('norm.running_mean')?.toFlatArray(), [7]);
    assert.deepEqual(ema.shadow.get('norm.num_batches_tracked')?.toFlatArray(), [4]);
    module.set([10.0, 2.0], 4.0, 8.0, 5);
    ema.update();
    // 0.75 * [2, 3] + 0.25 * [10, 2] = [4, 2.75]; 0.75 * 0 + 0.25 * 4 = 1
    assert.deepEqual(ema.shadow.get('layer.weight')?.toFlatArray(), [4, 2.75]);
    assert.deepEqual(ema.shadow.get('layer.bias')?.toFlatArray(), [1]);
    assert.equal(ema.updates, 2);
    ema.dispose();
    assert.throws(() => ema.update(), /disposed/);
    module.dispose();
  }));

test('EMA warmup uses min(decay, (1 + n) / (10 + n)) for the n-th update', () =>
  withoutLeaks(() => {
    const module = new TinyModule();
    const ema = new EMA(module, { decay: 0.5, warmup: true });
    assert.equal(ema.currentDecay(), 0.1);
    module.set([11.0, 12.0], 9.0, 0.0, 0);
    ema.update(); // decay 1/10: 0.1 * [1, 2] + 0.9 * [11, 12] = [10, 11]; 0.1 * -1 + 0.9 * 9 = 8
    assertClose(ema.shadow.get('layer.weight') as Tensor, [10, 11], 1e-6, 'first update');
    assertClose(ema.shadow.get('layer.bias') as Tensor, [8], 1e-6, 'first update bias');
    assert.equal(ema.currentDecay(), 2 / 11);
    module.set([-1.0, 0.0], 8.0, 0.0, 0);
    ema.update(); // decay 2/11: (2/11) * [10, 11] + (9/11) * [-1, 0] = [1, 2]
    assertClose(ema.shadow.get('layer.weight') as Tensor, [1, 2], 1e-6, 'second update');
    // (1 + n) / (10 + n) passes 0.5 at n = 8: from there the set decay applies
    ema.updates = 7;
    assert.equal(ema.currentDecay(), 8 / 17);
    ema.updates = 8;
    assert.equal(ema.currentDecay(), 0.5);
    ema.dispose();
    module.dispose();
  }));

test('EMA swap evaluates with averaged weights and swaps back; copyTo copies them', () =>
  withoutLeaks(() => {
    const module = new TinyModule();
    const ema = new EMA(module, { decay: 0.5 });
    module.set([3.0, 4.0], 1.0, 6.0, 9);
    ema.update(); // shadow weight [2, 3], bias 0, buffers 6 and 9
    module.set([7.0, 8.0], 5.0, 6.0, 9);
    ema.swap(module);
    assert.deepEqual(module.weight.toFlatArray(), [2, 3]);
    assert.deepEqual(module.bias.toFlatArray(), [0]);
    assert.equal(module.weight.requiresGrad, true);
    assert.throws(() => ema.update(), /call swap\(module\) again first/);
    assert.throws(() => ema.stateDict(), /call swap\(module\) again first/);
    ema.swap(module);
    assert.deepEqual(module.weight.toFlatArray(), [7, 8]);
    assert.deepEqual(module.bias.toFlatArray(), [5]);
    assert.deepEqual(ema.shadow.get('layer.weight')?.toFlatArray(), [2, 3]);

    const evaluation = new TinyModule();
    ema.copyTo(evaluation);
    assert.deepEqual(evaluation.weight.toFlatArray(), [2, 3]);
    assert.deepEqual(evaluation.batches.toFlatArray(), [9]);
    const other: EmaModule = { namedParameters: () => [['layer.weight', evaluation.weight]], namedBuffers: () => [] };
    assert.throws(() => ema.copyTo(other), /the module lacks "layer.bias"/);
    const wrongShape = tensor([1.0, 2.0, 3.0]);
    const reshaped: EmaModule = { namedParameters: () => [['layer.weight', wrongShape]], namedBuffers: () => [] };
    assert.throws(() => ema.copyTo(reshaped), /"layer.weight" is \[3\] in the module but \[2\] in the EMA/);
    wrongShape.dispose();
    evaluation.dispose();
    ema.dispose();
    module.dispose();
  }));

test('EMA state dict round trip restores shadow, decay and update count', () =>
  withoutLeaks(() => {
    const module = new TinyModule();
    const ema = new EMA(module, { decay: 0.9, warmup: true });
    module.set([2.0, 3.0], 0.5, 1.5, 2);
    ema.update();
    ema.update();
    const state = ema.stateDict();
    assert.deepEqual(state.meta, { type: 'EMA', decay: 0.9, warmup: 1, updates: 2 });

    const restored = new EMA(module, { decay: 0.1 });
    // meta as strings, as it comes back from a safetensors header
    restored.loadStateDict({ tensors: state.tensors, meta: { decay: '0.9', warmup: '1', updates: '2' } });
    assert.equal(restored.decay, 0.9);
    assert.equal(restored.warmup, true);
    assert.equal(restored.currentDecay(), ema.currentDecay());
    for (const [name, value] of ema.shadow)
      assert.deepEqual(restored.shadow.get(name)?.toFlatArray(), value.toFlatArray(), name);
    assert.notEqual(restored.shadow.get('layer.weight'), ema.shadow.get('layer.weight'));
    module.set([4.0, 1.0], 2.0, 0.0, 3);
    ema.update();
    restored.update();
    for (const [name, value] of ema.shadow)
      assert.deepEqual(restored.shadow.get(name)?.toFlatArray(), value.toFlatArray(), name);

    const partial = new Map(state.tensors);
    partial.delete('layer.bias');
    assert.throws(() => restored.loadStateDict({ tensors: partial, meta: state.meta }), /the state lacks "layer.bias"/);
    ema.dispose();
    restored.dispose();
    module.dispose();
  }));
