import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { decodeWav, encodeWav, readWav, writeWav, type WavBitDepth } from '../../src/modalities/audio/index.js';
import { inScratchFolder, seededRandom } from './helpers.js';

/** Samples that a PCM file of this many bits holds exactly: k / 2^(bits-1) for integer k in range. */
function pcmGrid(bits: number, length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const full = 2 ** (bits - 1);
  // Float32 holds 24 significant bits, so 32-bit grids step by 2^7.
  const step = bits > 24 ? 2 ** (bits - 24) : 1;
  const values = Float32Array.from({ length }, () => (Math.floor(random() * ((2 * full) / step)) * step - full) / full);
  values[0] = -1;
  values[1] = (full - step) / full;
  values[2] = 0;
  return values;
}

/** A WAV by hand, to test headers wavefile does not write: WAVE_FORMAT_EXTENSIBLE, an empty data chunk. */
function handMadeWav(
  options: { code: number; extensible: boolean; channels: number; sampleRate: number; bits: number },
  data: Uint8Array,
): Uint8Array {
  const fmtSize = options.extensible ? 40 : 16;
  const bytes = new Uint8Array(12 + 8 + fmtSize + 8 + data.length);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string): void => [...text].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, bytes.length - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, fmtSize, true);
  const blockAlign = (options.channels * options.bits) / 8;
  view.setUint16(20, options.extensible ? 0xfffe : options.code, true);
  view.setUint16(22, options.channels, true);
  view.setUint32(24, options.sampleRate, true);
  view.setUint32(28, options.sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, options.bits, true);
  if (options.extensible) {
    view.setUint16(36, 22, true);
    view.setUint16(38, options.bits, true);
    view.setUint32(40, options.channels === 1 ? 4 : 3, true);
    view.setUint32(44, options.code, true);
    [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71].forEach((b, i) =>
      view.setUint8(48 + i, b),
    );
  }
  const dataAt = 20 + fmtSize;
  ascii(dataAt, 'data');
  view.setUint32(dataAt + 4, data.length, true);
  bytes.set(data, dataAt + 8);
  return bytes;
}

test('16-, 24- and 32-bit PCM round trips are bit-exact at the file precision', async () => {
  await inScratchFolder(async (folder) => {
    for (const bits of [16, 24, 32] as const) {
      const samples = pcmGrid(bits, 4000, bits);
      const path = join(folder, `pcm${bits}.wav`);
      await writeWav(path, samples, 16000, { bitDepth: bits });
      const audio = await readWav(path);
      assert.deepEqual(
        [audio.sampleRate, audio.channels, audio.bitDepth, audio.samples.length],
        [16000, 1, bits, 4000],
      );
      assert.deepEqual(audio.samples, samples, `${bits}-bit`);
    }
    // Any float32 sample comes back within half a 32-bit step.
    const random = seededRandom(9);
    const free = Float32Array.from({ length: 2000 }, () => random() * 2 - 1);
    const audio = decodeWav(encodeWav(free, 8000, { bitDepth: 32 }));
    assert.ok(
      audio.samples.every((value, i) => Math.abs(value - (free[i] ?? 0)) <= 2 ** -32),
      '32-bit within half a step',
    );
    assert.deepEqual(await readdir(folder), ['pcm16.wav', 'pcm24.wav', 'pcm32.wav'], 'no temporary files left');
  });
});

test('32- and 64-bit float round trips are exact; 8-bit is within half a quantisation step', () => {
  const random = seededRandom(4);
  const samples = Float32Array.from({ length: 3000 }, () => random() * 2.2 - 1.1);
  for (const bitDepth of ['32f', '64f'] as const) {
    const audio = decodeWav(encodeWav(samples, 22050, { bitDepth }));
    assert.equal(audio.bitDepth, bitDepth);
    assert.deepEqual(audio.samples, samples, `${bitDepth} keeps even values beyond ±1`);
  }
  const inRange = samples.map((value) => Math.max(-1, Math.min(127 / 128, value)));
  const eight = decodeWav(encodeWav(inRange, 22050, { bitDepth: 8 }));
  assert.equal(eight.bitDepth, 8);
  const worst = eight.samples.reduce((max, value, i) => Math.max(max, Math.abs(value - (inRange[i] ?? 0))), 0);
  assert.ok(worst <= 1 / 256 + 1e-7 && worst > 1 / 512, `8-bit error ${worst}`);
  assert.deepEqual(
    decodeWav(encodeWav(pcmGrid(8, 500, 3), 8000, { bitDepth: 8 })).samples,
    pcmGrid(8, 500, 3),
    '8-bit grid exact',
  );
  // PCM clips out-of-range values to the largest code.
  assert.deepEqual(
    [...decodeWav(encodeWav(Float32Array.from([1.5, -1.5, 1]), 8000)).samples],
    [32767 / 32768, -1, 32767 / 32768],
  );
});

test('stereo and extensible-format files fold to mono by averaging', () => {
  const left = pcmGrid(16, 1000, 1);
  const right = pcmGrid(16, 1000, 2);
  const stereo = decodeWav(encodeWav([left, right], 44100, { bitDepth: 16 }));
  assert.equal(stereo.channels, 2);
  assert.deepEqual(
    stereo.samples,
    left.map((value, i) => (value + (right[i] ?? 0)) / 2),
  );
  // WAVE_FORMAT_EXTENSIBLE float, two channels: [0.5, -0.25], [1, 0].
  const floats = new Uint8Array(new Float32Array([0.5, -0.25, 1, 0]).buffer);
  const extensible = decodeWav(
    handMadeWav({ code: 3, extensible: true, channels: 2, sampleRate: 48000, bits: 32 }, floats),
  );
  assert.deepEqual([extensible.bitDepth, extensible.channels, extensible.sampleRate], ['32f', 2, 48000]);
  assert.deepEqual([...extensible.samples], [0.125, 0.5]);
  // WAVE_FORMAT_EXTENSIBLE 24-bit PCM: 0x400000 = 0.5, 0xC00000 = -0.5.
  const pcm24 = decodeWav(
    handMadeWav(
      { code: 1, extensible: true, channels: 1, sampleRate: 16000, bits: 24 },
      Uint8Array.from([0, 0, 0x40, 0, 0, 0xc0]),
    ),
  );
  assert.deepEqual([...pcm24.samples], [0.5, -0.5]);
});

test('bad WAV input raises errors naming the file and the reason', async () => {
  await inScratchFolder(async (folder) => {
    const write = async (name: string, bytes: Uint8Array | string): Promise<string> => {
      const path = join(folder, name);
      await writeFile(path, bytes);
      return path;
    };
    const empty = await write('empty.wav', '');
    await assert.rejects(readWav(empty), new RegExp(`cannot read WAV ${empty}: the file is empty`));
    const text = await write('text.wav', 'hello, this is not audio at all');
    await assert.rejects(readWav(text), new RegExp(`${text}: not a WAV file`));
    const good = encodeWav(pcmGrid(16, 100, 1), 8000);
    const truncated = await write('truncated.wav', good.subarray(0, 30));
    await assert.rejects(readWav(truncated), new RegExp(`${truncated}: .*truncated or corrupt`));
    const noSamples = await write(
      'silent.wav',
      handMadeWav({ code: 1, extensible: false, channels: 1, sampleRate: 8000, bits: 16 }, new Uint8Array(0)),
    );
    await assert.rejects(readWav(noSamples), /silent\.wav: the WAV is empty/);
    const alaw = new wavefile.WaveFile();
    alaw.fromScratch(1, 8000, '8a', [0, 10, 20]);
    await assert.rejects(
      readWav(await write('alaw.wav', alaw.toBuffer())),
      /alaw\.wav: unsupported encoding A-law; convert it to PCM or float WAV/,
    );
    const twelve = await write(
      'twelve.wav',
      handMadeWav({ code: 3, extensible: false, channels: 1, sampleRate: 8000, bits: 16 }, new Uint8Array(4)),
    );
    await assert.rejects(readWav(twelve), /unsupported float sample size of 16 bits/);
    await assert.rejects(readWav(join(folder, 'missing.wav')), /missing\.wav: no such file/);
    assert.throws(() => decodeWav(Uint8Array.from([1, 2, 3]), 'clip-7'), /cannot read WAV clip-7: not a WAV file/);
  });
  assert.throws(() => encodeWav(new Float32Array(0), 16000), /empty WAV/);
  assert.throws(() => encodeWav(Float32Array.from([0, NaN]), 16000), /sample 1 is NaN/);
  assert.throws(() => encodeWav(Float32Array.from([0]), 16000.5), /sample rate must be a positive integer/);
  assert.throws(
    () => encodeWav(Float32Array.from([0]), 16000, { bitDepth: 12 as unknown as WavBitDepth }),
    /bitDepth must be 8, 16, 24, 32/,
  );
});
