// STFT / inverse STFT and complex magnitude.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, randn, Generator, F } from '../../src/tensor/index.js';
import { noLeak, sequence, assertClose, expectTensor } from './helpers.js';

test('hann window values', () => {
  noLeak(() => {
    expectTensor(F.hannWindow(4), [0, 0.5, 1, 0.5], { tolerance: 1e-6 });
    expectTensor(F.hannWindow(5, false), [0, 0.5, 1, 0.5, 0], { tolerance: 1e-6 });
  });
});

test('stft of one uncentred frame is the DFT of that frame', () => {
  noLeak(() => {
    const frame = sequence(8, 4);
    const spec = F.stft(tensor(Float64Array.from(frame)), { nFft: 8, hopLength: 8, center: false });
    assert.deepEqual(spec.shape, [5, 1]);
    const parts = spec.viewAsReal().toFlatArray(); // [freq, frame, re/im]
    for (let k = 0; k <= 4; k++) {
      const re = frame.reduce((s, x, n) => s + x * Math.cos((2 * Math.PI * k * n) / 8), 0);
      const im = frame.reduce((s, x, n) => s - x * Math.sin((2 * Math.PI * k * n) / 8), 0);
      assertClose([parts[2 * k] ?? NaN, parts[2 * k + 1] ?? NaN], [re, im], 1e-12, `bin ${k}`);
    }
  });
});

test('stft -> istft reconstructs a random signal with a Hann window (error < 1e-4)', () => {
  noLeak(() => {
    const generator = new Generator(11);
    const signal = randn([2, 4000], { generator });
    const window = F.hannWindow(256);
    const args = { nFft: 256, hopLength: 64, window };
    const spec = F.stft(signal, args);
    assert.equal(spec.dtype, 'complex64');
    assert.deepEqual(spec.shape, [2, 129, Math.floor(4000 / 64) + 1]);
    const rebuilt = F.istft(spec, { ...args, length: 4000 });
    assert.deepEqual(rebuilt.shape, [2, 4000]);
    const error = rebuilt.sub(signal).abs().max().item();
    assert.ok(error < 1e-4, `max reconstruction error ${error}`);
    generator.dispose();
  });
});

test('the magnitude of a pure tone peaks at its bin', () => {
  noLeak(() => {
    const [rate, nFft, bin] = [8000, 512, 37];
    const frequency = (bin * rate) / nFft; // exactly on bin 37
    const samples = Float32Array.from({ length: 8000 }, (_, n) => Math.sin((2 * Math.PI * frequency * n) / rate));
    const magnitude = F.stft(tensor(samples), { nFft, hopLength: 128, window: F.hannWindow(nFft) }).abs();
    assert.equal(magnitude.dtype, 'float32');
    const perBin = magnitude.mean(1);
    assert.equal(perBin.argmax().item(), bin);
    // a Hann window spreads a bin-centred tone over its two neighbours at half amplitude, no further
    const middle = magnitude.select(1, 30);
    const peak = middle.select(0, bin).item();
    assert.ok(
      Math.abs(peak - nFft / 4) / (nFft / 4) < 1e-3,
      `peak ${peak}, expected ${nFft / 4} (A * N / 4 for a Hann window)`,
    );
    assertClose([middle.select(0, bin - 1).item() / peak, middle.select(0, bin + 1).item() / peak], [0.5, 0.5], 1e-3);
    assert.ok(middle.select(0, bin + 3).item() / peak < 1e-3);
  });
});
