// The spectrogram codec of the text→audio models: a tone survives encode → decode (log-mel in [-1, 1],
// mel inversion, Griffin-Lim) with its pitch; silence maps to -1; decoding is seeded; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpectrogramCodec } from '../../src/modalities/audio/spectrogram-codec.js';
import { tensor, tidy, zeros } from '../../src/tensor/index.js';
import { peakFrequency, sine, withoutLeaks } from './helpers.js';

const codec = new SpectrogramCodec({
  sampleRate: 16000,
  samples: 16384,
  nFft: 1024,
  hopLength: 256,
  nMels: 64,
  frames: 64,
  floor: -8,
  ceiling: 1,
  griffinLimIterations: 32,
});

test('a tone keeps its pitch through the 64×64 log-mel codec and Griffin-Lim', async () => {
  await withoutLeaks(() => {
    for (const frequency of [330, 1000]) {
      const clip = tensor(sine(frequency, 16000, 16384, 0.5), { shape: [1, 16384] });
      const encoded = codec.encode(clip);
      assert.deepEqual(encoded.shape, [1, 1, 64, 64]);
      const [low, high] = tidy(() => [encoded.min().item(), encoded.max().item()]);
      assert.ok(low >= -1 && high <= 1 && high > 0, `values in [-1, 1] with a loud band: ${low}..${high}`);
      const [first] = codec.decode(encoded, 3);
      const [again] = codec.decode(encoded, 3);
      assert.equal(first?.length, 16384);
      assert.deepEqual(first, again, 'the same seed gives the same waveform');
      const recovered = peakFrequency(first as Float32Array, 16000);
      // 64 mel bands are ~60 Hz wide at 330 Hz and ~110 Hz at 1 kHz: the tone lands within its band
      assert.ok(
        Math.abs(recovered - frequency) < frequency * 0.08,
        `${frequency} Hz came back as ${recovered.toFixed(1)} Hz`,
      );
      clip.dispose();
      encoded.dispose();
    }
    const silence = zeros([2, 16384]);
    const encoded = codec.encode(silence);
    assert.equal(
      tidy(() => encoded.max().item()),
      -1,
      'silence is the floor',
    );
    silence.dispose();
    encoded.dispose();
    const short = zeros([1, 100]);
    assert.throws(() => codec.encode(short), /waveforms \[batch, 16384\]/);
    short.dispose();
  });
});
