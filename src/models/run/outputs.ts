// Generated pictures and sounds as objects that encode and save themselves (atomically).
import { writeFileAtomic } from '../../data/files.js';
import { encodeWav } from '../../modalities/audio/index.js';
import { encodePng, tensorToImages, type RawImage } from '../../modalities/image/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { AudioOutput, ImageOutput } from './types.js';

export function imageOutput(image: RawImage, index: number, seed: number, text?: string): ImageOutput {
  return {
    kind: 'image',
    index,
    seed,
    image,
    ...(text !== undefined ? { text } : {}),
    png: () => encodePng(image),
    bytes: () => encodePng(image),
    extension: 'png',
    save: async (path) => writeFileAtomic(path, await encodePng(image)),
  };
}

/** Pictures [N, C, S, S] in [-1, 1] (read now; the caller still owns the tensor). */
export function imageOutputs(images: Tensor, seed: number, texts?: readonly string[]): ImageOutput[] {
  return tensorToImages(images, { range: 'signed' }).map((image, index) =>
    imageOutput(image, index, seed, texts?.[index]),
  );
}

export function audioOutput(
  samples: Float32Array,
  sampleRate: number,
  index: number,
  seed: number,
  text?: string,
  spectrogram?: RawImage,
): AudioOutput {
  const wav = (): Buffer => Buffer.from(encodeWav(samples, sampleRate));
  return {
    kind: 'audio',
    index,
    seed,
    samples,
    sampleRate,
    ...(text !== undefined ? { text } : {}),
    ...(spectrogram ? { spectrogram } : {}),
    wav,
    bytes: async () => wav(),
    extension: 'wav',
    save: async (path) => writeFileAtomic(path, wav()),
  };
}

/** Each prompt `n` times, prompt-major: what generate draws for. */
export function repeatPrompts(text: string | readonly string[], n: number): string[] {
  const prompts = typeof text === 'string' ? [text] : [...text];
  if (prompts.length === 0) throw new Error('give at least one prompt to generate from');
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a positive integer (draws per prompt), got ${n}`);
  return prompts.flatMap((prompt) => new Array<string>(n).fill(prompt));
}
