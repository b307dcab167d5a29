// WAV files through wavefile: 8/16/24/32-bit PCM and 32/64-bit float, read as mono float samples.
// PCM scaling is symmetric, value / 2^(bits-1) (as torchaudio and soundfile read it), so writing
// and reading again gives back the same samples at the file's precision.
import wavefile from 'wavefile';
import { loadBytes, reasonOf, writeFileAtomic } from '../../data/files.js';

export type WavBitDepth = 8 | 16 | 24 | 32 | '32f' | '64f';

export interface WavAudio {
  /** Mono samples in [-1, 1]; multi-channel files are folded to mono by averaging the channels. */
  samples: Float32Array;
  sampleRate: number;
  /** Channels in the file, before folding. */
  channels: number;
  bitDepth: WavBitDepth;
}

interface FormatChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  subformat: number[];
}

const formatNames: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'mu-law',
  17: 'IMA ADPCM',
  85: 'MP3',
};

/** Decodes WAV bytes; label names the file in errors. */
export function decodeWav(bytes: Uint8Array, label = '(WAV bytes in memory)'): WavAudio {
  const fail = (reason: string): Error => new Error(`cannot read WAV ${label}: ${reason}`);
  if (bytes.length === 0) throw fail('the file is empty');
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  const wave = String.fromCharCode(...bytes.subarray(8, 12));
  if (bytes.length < 12 || !['RIFF', 'RIFX', 'RF64'].includes(magic) || wave !== 'WAVE')
    throw fail('not a WAV file (no RIFF/WAVE header)');
  const file = new wavefile.WaveFile();
  try {
    file.fromBuffer(bytes);
  } catch (error) {
    throw fail(`${reasonOf(error)} (the file may be truncated or corrupt)`);
  }
  const format = file.fmt as FormatChunk;
  const extensibleCode = format.audioFormat === 0xfffe ? (format.subformat[0] ?? 0) : format.audioFormat;
  const isFloat = extensibleCode === 3;
  if (extensibleCode !== 1 && !isFloat) {
    throw fail(
      `unsupported encoding ${formatNames[extensibleCode] ?? `(format code ${extensibleCode})`}; convert it to PCM or float WAV`,
    );
  }
  const bits = format.bitsPerSample;
  const bitDepth: WavBitDepth | undefined = isFloat
    ? bits === 32
      ? '32f'
      : bits === 64
        ? '64f'
        : undefined
    : [8, 16, 24, 32].includes(bits)
      ? (bits as 8 | 16 | 24 | 32)
      : undefined;
  if (bitDepth === undefined)
    throw fail(
      `unsupported ${isFloat ? 'float' : 'PCM'} sample size of ${bits} bits; use 8/16/24/32-bit PCM or 32/64-bit float`,
    );
  const channels = format.numChannels;
  if (!Number.isInteger(channels) || channels < 1) throw fail(`invalid channel count ${channels}`);
  if (!(format.sampleRate > 0)) throw fail(`invalid sample rate ${format.sampleRate}`);
  const data = (file.data as { samples: Uint8Array }).samples;
  const frameBytes = (bits / 8) * channels;
  const frames = Math.floor(data.length / frameBytes);
  if (frames === 0) throw fail('the WAV is empty (its data chunk holds no samples)');
  const interleaved = isFloat
    ? decodeFloats(data, bits, frames * channels, file.container !== 'RIFX')
    : (file.getSamples(true, Float64Array) as unknown as Float64Array);
  const scale = isFloat ? 1 : 1 / 2 ** (bits - 1);
  const offset = bits === 8 && !isFloat ? 128 : 0;
  const samples = new Float32Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += (interleaved[frame * channels + c] ?? 0) - offset;
    samples[frame] = (sum / channels) * scale;
  }
  return { samples, sampleRate: format.sampleRate, channels, bitDepth };
}

// wavefile unpacks floats in JS one value at a time (~1 µs each) and reads WAVE_FORMAT_EXTENSIBLE
// float data as integers; a DataView does both right.
function decodeFloats(bytes: Uint8Array, bits: number, count: number, littleEndian: boolean): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++)
    out[i] = bits === 32 ? view.getFloat32(i * 4, littleEndian) : view.getFloat64(i * 8, littleEndian);
  return out;
}

/** Reads a WAV file (or bytes) as mono float samples. */
export async function readWav(input: Uint8Array | string, options: { name?: string } = {}): Promise<WavAudio> {
  const { bytes, label } = await loadBytes(input, options.name, 'WAV');
  return decodeWav(bytes, label);
}

export interface WavWriteOptions {
  bitDepth?: WavBitDepth;
}

/** WAV bytes of mono samples (or one Float32Array per channel); default 16-bit PCM. Values outside [-1, 1] are clipped for PCM. */
export function encodeWav(
  samples: Float32Array | Float32Array[],
  sampleRate: number,
  options: WavWriteOptions = {},
): Uint8Array {
  const bitDepth = options.bitDepth ?? 16;
  const channels = Array.isArray(samples) ? samples : [samples];
  const length = channels[0]?.length ?? 0;
  if (!Number.isInteger(sampleRate) || sampleRate < 1)
    throw new Error(`sample rate must be a positive integer, got ${sampleRate}`);
  if (length === 0) throw new Error('cannot write an empty WAV: no samples given');
  if (channels.some((channel) => channel.length !== length))
    throw new Error('every channel must have the same number of samples');
  const codes: Record<string, string> = { 8: '8', 16: '16', 24: '24', 32: '32', '32f': '32f', '64f': '64' };
  const code = codes[String(bitDepth)];
  if (code === undefined) throw new Error(`bitDepth must be 8, 16, 24, 32, '32f' or '64f', got ${String(bitDepth)}`);
  const isFloat = bitDepth === '32f' || bitDepth === '64f';
  const full = isFloat ? 1 : 2 ** ((bitDepth as number) - 1);
  const offset = bitDepth === 8 ? 128 : 0;
  const values = isFloat ? new Float64Array(length * channels.length) : new Int32Array(length * channels.length);
  channels.forEach((channel, c) => {
    for (let i = 0; i < length; i++) {
      const sample = channel[i] ?? 0;
      if (!Number.isFinite(sample))
        throw new Error(
          `sample ${i}${channels.length > 1 ? ` of channel ${c}` : ''} is ${sample}; audio must be finite`,
        );
      values[i * channels.length + c] = isFloat
        ? sample
        : Math.min(full - 1, Math.max(-full, Math.round(sample * full))) + offset;
    }
  });
  const file = new wavefile.WaveFile();
  file.fromScratch(channels.length, sampleRate, code, values);
  return file.toBuffer();
}

/** Writes a WAV to a temporary name, then renames it into place. */
export async function writeWav(
  path: string,
  samples: Float32Array | Float32Array[],
  sampleRate: number,
  options: WavWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeWav(samples, sampleRate, options));
}
