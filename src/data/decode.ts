// The loader's own PNG and WAV reading. data/ sits below modalities/, so it reads the two formats its
// builders write through sharp and wavefile directly, checking each file against dataset.json.
import sharp from 'sharp';
import wavefile from 'wavefile';
import { readFile } from 'node:fs/promises';
import type { AudioInfo, ImageInfo } from './format.js';
import { decodePlainPng } from './png.js';

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function readBytes(path: string, kind: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot read ${kind} ${path}: ${code === 'ENOENT' ? 'no such file (was the dataset folder changed after it was built?)' : reasonOf(error)}`,
      { cause: error },
    );
  }
}

/** Decodes a dataset image into HWC bytes of exactly info's size and channels. */
export async function decodeDatasetImage(path: string, info: ImageInfo): Promise<Uint8Array> {
  const bytes = await readBytes(path, 'image');
  try {
    const plain = await decodePlainPng(bytes);
    if (plain && plain.width === info.width && plain.height === info.height && plain.channels === info.channels)
      return plain.data;
    const pipeline = sharp(bytes, { failOn: 'error' })
      .flatten({ background: '#ffffff' })
      .toColourspace(info.channels === 1 ? 'b-w' : 'srgb');
    const { data, info: decoded } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (decoded.width !== info.width || decoded.height !== info.height || decoded.channels !== info.channels) {
      throw new Error(
        `it is ${decoded.width}x${decoded.height}x${decoded.channels}, the dataset says ${info.width}x${info.height}x${info.channels}`,
      );
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (error) {
    throw new Error(`cannot decode image ${path}: ${reasonOf(error)}`, { cause: error });
  }
}

/** Decodes a dataset clip (mono WAV) into float samples in [-1, 1], padded or cut to info.samples. */
export async function decodeDatasetAudio(path: string, info: AudioInfo): Promise<Float32Array> {
  const bytes = await readBytes(path, 'audio');
  let samples: Float32Array;
  let sampleRate: number;
  let channels: number;
  try {
    const wav = new wavefile.WaveFile(bytes);
    const format = wav.fmt as { sampleRate: number; numChannels: number; audioFormat: number; bitsPerSample: number };
    sampleRate = format.sampleRate;
    channels = format.numChannels;
    const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array;
    // PCM is scaled by 2^(bits-1) as modalities/audio writes it; float WAVs are taken as they are
    const isFloat = format.audioFormat === 3;
    const scale = isFloat ? 1 : 2 ** (format.bitsPerSample - 1);
    const offset = !isFloat && format.bitsPerSample === 8 ? 128 : 0;
    samples = Float32Array.from(raw, (value) => (value - offset) / scale);
  } catch (error) {
    throw new Error(`cannot decode audio ${path}: ${reasonOf(error)}`, { cause: error });
  }
  if (sampleRate !== info.sampleRate)
    throw new Error(
      `cannot load audio ${path}: it is sampled at ${sampleRate} Hz, the dataset says ${info.sampleRate} Hz`,
    );
  if (channels !== 1) throw new Error(`cannot load audio ${path}: it has ${channels} channels, the dataset says mono`);
  const out = new Float32Array(info.samples);
  out.set(samples.length > info.samples ? samples.subarray(0, info.samples) : samples);
  return out;
}
