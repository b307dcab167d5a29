import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, tensor, tidy, Generator } from '../../src/tensor/index.js';
import {
  hzToMel,
  istft,
  logMelSpectrogram,
  melFilterbank,
  melFilterbankWeights,
  melToHz,
  melToLinear,
  resample,
  resampledLength,
  stft,
} from '../../src/modalities/audio/index.js';
import { peakFrequency, sine, withoutLeaks } from './helpers.js';

const rms = (values: Float32Array, from = 0, to = values.length): number => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (values[i] ?? 0) ** 2;
  return Math.sqrt(sum / (to - from));
};

test('resampling keeps a sine at its frequency, the length ratio, and its waveform', () => {
  for (const [from, to, frequency] of [
    [22050, 16000, 440],
    [16000, 44100, 1000],
    [48000, 16000, 3000],
    [8000, 11025, 700],
  ] as const) {
    const input = sine(frequency, from, from);
    const output = resample(input, from, to);
    assert.equal(output.length, Math.ceil((from * to) / from), `${from}→${to} length`);
    assert.equal(output.length, resampledLength(input.length, from, to));
    const peak = peakFrequency(output, to);
    assert.ok(Math.abs(peak - frequency) < 2, `${from}→${to}: peak at ${peak.toFixed(2)} Hz, expected ${frequency}`);
    // Away from the zero-padded ends the output is the same sine sampled at the new rate.
    let worst = 0;
    for (let n = 200; n < output.length - 200; n++)
      worst = Math.max(worst, Math.abs((output[n] ?? 0) - 0.5 * Math.sin((2 * Math.PI * frequency * n) / to)));
    assert.ok(worst < 2e-3, `${from}→${to}: waveform error ${worst}`);
  }
  assert.equal(resample(new Float32Array(1000), 22050, 16000).length, 726, 'ceil(1000 * 320 / 441)');
});

test('resampling filters out what the new rate cannot hold and keeps a constant constant', () => {
  // 9 kHz is above the 8 kHz Nyquist of 16 kHz: it must not fold back to 7 kHz.
  const high = resample(sine(9000, 22050, 22050), 22050, 16000);
  assert.ok(
    rms(high, 500, high.length - 500) < 1e-3 * rms(sine(9000, 22050, 22050)),
    `aliased energy ${rms(high, 500, high.length - 500)}`,
  );
  const constant = resample(new Float32Array(5000).fill(0.25), 44100, 16000);
  for (let n = 200; n < constant.length - 200; n++)
    assert.ok(Math.abs((constant[n] ?? 0) - 0.25) < 1e-6, `sample ${n} = ${constant[n]}`);
  const same = sine(100, 8000, 100);
  const copy = resample(same, 8000, 8000);
  assert.deepEqual(copy, same);
  assert.notEqual(copy, same, 'a copy, not the input');
  assert.throws(() => resample(same, 8000, 11025.5), /to rate must be a positive integer/);
  // A rate pair with no small common divisor takes the unbuffered path and agrees with the tabled one.
  const odd = resample(sine(500, 16000, 4000), 16000, 16001);
  assert.ok(Math.abs(peakFrequency(odd, 16001) - 500) < 3);
});

test('STFT then iSTFT reconstructs the signal (error < 1e-4) for several frame settings and batches', async () => {
  await withoutLeaks(() =>
    tidy(() => {
      const generator = new Generator(3);
      const signal = randn([2, 8000], { generator }).mul(0.3);
      generator.dispose();
      for (const settings of [
        { nFft: 512, hopLength: 128 },
        { nFft: 400, hopLength: 160, winLength: 400 },
        { nFft: 512, hopLength: 100, winLength: 300 },
        { nFft: 256 },
      ]) {
        const spectrum = stft(signal, settings);
        const hop = settings.hopLength ?? 64;
        assert.deepEqual(spectrum.shape, [2, settings.nFft / 2 + 1, 1 + Math.floor(8000 / hop)]);
        assert.equal(spectrum.dtype, 'complex64');
        const back = istft(spectrum, { ...settings, length: 8000 });
        const error = back.sub(signal).abs().max().item();
        assert.ok(error < 1e-4, `${JSON.stringify(settings)}: error ${error}`);
      }
      const single = Float32Array.from(signal.select(0, 0).dataSync() as Float32Array);
      const fromArray = istft(stft(single, { nFft: 256 }), { nFft: 256, length: single.length });
      assert.ok(fromArray.sub(signal.select(0, 0)).abs().max().item() < 1e-4, 'a Float32Array works as input');
      assert.throws(() => stft(new Float32Array(100), { nFft: 512 }), /100 samples, too short for nFft 512/);
      assert.throws(
        () => stft(new Float32Array(1000), { nFft: 512, hopLength: 600 }),
        /hopLength 600 is longer than winLength 512/,
      );
      assert.throws(
        () => istft(tensor(new Float32Array(10 * 5), { shape: [10, 5] }), { nFft: 512 }),
        /\[\.\.\., 257, frames\]/,
      );
    }),
  );
});

// Slaney mel scale (librosa htk=False): mel = f / (200/3) below 1 kHz; above, mel = 15 + 27 ln(f / 1000) / ln 6.4.
//   1000 Hz → 15;  2000 Hz → 15 + 27 ln 2 / ln 6.4 = 25.08188;  mel 30 → 1000 · 6.4^(15/27) = 2804.644 Hz.
// Filter m spans mel points m..m+2 of nMels + 2 points evenly spaced from mel(fMin) to mel(fMax), rises
// linearly from edge m to m+1 and falls to m+2; norm='slaney' multiplies it by 2 / (f[m+2] - f[m]).
test('mel filterbank matches librosa Slaney values computed by hand', async () => {
  assert.ok(Math.abs(hzToMel(1000) - 15) < 1e-12, 'librosa also gets 1000 / (200/3) = 14.999999999999998');
  assert.ok(Math.abs(hzToMel(2000) - 25.081880157) < 1e-8);
  assert.ok(Math.abs(melToHz(30) - 2804.644130739) < 1e-8);
  assert.ok(Math.abs(melToHz(hzToMel(5234.5)) - 5234.5) < 1e-9);
  assert.ok(Math.abs(hzToMel(1000, true) - 999.9856) < 1e-4, 'HTK: 2595 log10(1 + 1000/700)');

  // Linear region, every number by hand: sr 2000, nFft 20 (bins every 100 Hz), 4 mels up to 1000 Hz.
  // Mel points 0, 3, ..., 15 → 0, 200, 400, 600, 800, 1000 Hz; filter 0 peaks at 200 Hz, height 2/400 = 0.005.
  const small = melFilterbankWeights({ sampleRate: 2000, nFft: 20, nMels: 4 });
  const row = (m: number): number[] => [...small.subarray(m * 11, (m + 1) * 11)].map((v) => Math.round(v * 1e6) / 1e6);
  assert.deepEqual(row(0), [0, 0.0025, 0.005, 0.0025, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(row(3), [0, 0, 0, 0, 0, 0, 0, 0.0025, 0.005, 0.0025, 0]);
  const unnormalised = melFilterbankWeights({ sampleRate: 2000, nFft: 20, nMels: 4, norm: null });
  assert.deepEqual(
    [...unnormalised.subarray(11, 22)].map((v) => Math.round(v * 1e6) / 1e6),
    [0, 0, 0, 0.5, 1, 0.5, 0, 0, 0, 0, 0],
    'filter 1: 200-400-600 Hz, peak 1 at bin 4',
  );

  // librosa.filters.mel(sr=22050, n_fft=2048) defaults (128 mels, 0 to 11025 Hz). mel(11025) = 49.910594, so
  // points step 49.910594 / 129 = 0.386904 mel. Filter 0: 0, 25.7936, 51.5872 Hz (linear region); bins are
  // 22050/2048 = 10.7666 Hz apart; bin 1 weight = (10.7666 / 25.7936) · 2 / 51.5872 = 0.0161829 (librosa's
  // docs print 0.016). Filter 100: mels 38.6904, 39.0773, 39.4642 → 5097.529, 5234.945, 5376.065 Hz;
  // bin 486 (5232.568 Hz) rises to 0.982707 of the peak 2 / 278.535 → 0.00705624; bin 490 (5275.635 Hz)
  // falls: (5376.065 - 5275.635) / 141.120 · 0.00718042 = 0.00511004.
  const librosa = melFilterbankWeights({ sampleRate: 22050, nFft: 2048 });
  const at = (m: number, k: number): number => librosa[m * 1025 + k] ?? NaN;
  const expected: [number, number, number][] = [
    [0, 1, 0.0161828532],
    [0, 2, 0.0323657064],
    [0, 3, 0.028990088],
    [0, 5, 0],
    [100, 486, 0.0070562444],
    [100, 490, 0.0051100396],
    [100, 473, 0],
  ];
  for (const [m, k, value] of expected)
    assert.ok(Math.abs(at(m, k) - value) < 1e-8, `weights[${m}][${k}] = ${at(m, k)}, expected ${value}`);
  // Slaney normalisation gives each filter unit area: Σ weight · bin width ≈ 1 for filters many bins wide.
  const area = (m: number): number =>
    Array.from({ length: 1025 }, (_, k) => at(m, k)).reduce((a, b) => a + b, 0) * (22050 / 2048);
  for (const m of [60, 100, 127]) assert.ok(Math.abs(area(m) - 1) < 0.01, `filter ${m} area ${area(m)}`);
  await withoutLeaks(() => {
    const bank = melFilterbank({ sampleRate: 16000, nFft: 512, nMels: 40 });
    assert.deepEqual(bank.shape, [40, 257]);
    bank.dispose();
  });
  assert.throws(
    () => melFilterbankWeights({ sampleRate: 16000, nFft: 128, nMels: 128 }),
    /mel filter 0 .* covers no FFT bin: nMels 128 is too many for nFft 128/,
  );
  assert.throws(() => melFilterbankWeights({ sampleRate: 16000, nFft: 512, fMax: 9000 }), /fMax <= sampleRate\/2/);
});

test('log-mel features: shape, the tone lands in its mel band, dB scale and batches', async () => {
  await withoutLeaks(() =>
    tidy(() => {
      const sampleRate = 16000;
      const tone = sine(1000, sampleRate, sampleRate);
      const features = logMelSpectrogram(tone, { sampleRate, nFft: 1024, hopLength: 256, nMels: 80 });
      assert.deepEqual(features.shape, [80, 1 + Math.floor(16000 / 256)]);
      // The band whose centre is nearest 1 kHz is loudest.
      const centres = Array.from({ length: 80 }, (_, m) => melToHz(((m + 1) * hzToMel(8000)) / 81));
      const nearest = centres.reduce(
        (best, centre, m) => (Math.abs(centre - 1000) < Math.abs((centres[best] ?? 0) - 1000) ? m : best),
        0,
      );
      assert.equal(features.mean(1).argmax().item(), nearest);
      assert.ok(
        Math.abs(features.min().item() - Math.log(1e-5)) < 1e-4 || features.min().item() > Math.log(1e-5),
        'floored at ln 1e-5',
      );
      const decibels = logMelSpectrogram(tone, {
        sampleRate,
        nFft: 1024,
        hopLength: 256,
        nMels: 80,
        scale: 'db',
        power: 2,
      });
      const top = decibels.max().item();
      assert.ok(Math.abs(decibels.min().item() - (top - 80)) < 1e-3, 'clipped 80 dB below the peak');
      const batch = logMelSpectrogram(
        tensor([...tone, ...sine(3000, sampleRate, sampleRate)], { shape: [2, sampleRate] }),
        { sampleRate, nFft: 1024, hopLength: 256, nMels: 80 },
      );
      assert.deepEqual(batch.shape, [2, 80, 63]);
      assert.ok(batch.select(0, 0).sub(features).abs().max().item() < 1e-4, 'batch item 0 equals the single signal');
      // Mel → linear (NNLS) puts the energy back near 1 kHz.
      const linear = melToLinear(features.exp(), { sampleRate, nFft: 1024, nMels: 80 });
      assert.deepEqual(linear.shape, [513, 63]);
      assert.ok(linear.min().item() >= 0, 'non-negative');
      const peakBin = linear.mean(1).argmax().item();
      assert.ok(
        Math.abs((peakBin * sampleRate) / 1024 - 1000) < 40,
        `linear peak at ${(peakBin * sampleRate) / 1024} Hz`,
      );
    }),
  );
});
