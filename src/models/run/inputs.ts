// Turning what a caller gives (file paths, encoded bytes, tensors) into the pictures and clips a run
// reads. Each input is read on its own, so one unreadable file is reported by name and the rest still run.
import { clipForModel, readWav, type ClipShape } from '../../modalities/audio/index.js';
import { decodeImage, imagesToTensor } from '../../modalities/image/index.js';
import { type Tensor, cat, tidy } from '../../tensor/index.js';
import type { AudioInput, ImageInput } from './types.js';

export interface PictureShape {
  channels: number;
  size: number;
}

/** One input read, or why not; `source` names it in results and errors. */
export type Read<Value> = { source: string; value: Value } | { source: string; error: string };

export const asList = <Item>(
  value: Item | readonly Item[] | undefined,
  isOne: (value: Item | readonly Item[]) => value is Item,
): Item[] => (value === undefined ? [] : isOne(value) ? [value] : [...value]);

export const isOneImage = (value: ImageInput | readonly ImageInput[]): value is ImageInput => !Array.isArray(value);
export const isOneClip = (value: AudioInput | readonly AudioInput[]): value is AudioInput => !Array.isArray(value);

const labelOf = (input: string | Uint8Array | Float32Array | Tensor, index: number, kind: string): string =>
  typeof input === 'string' ? input : `${kind} ${index + 1}`;

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Pictures at the run's size as tensors [1, C, S, S] in [-1, 1] (files are centre-cropped and resized). */
export async function readPictures(inputs: readonly ImageInput[], shape: PictureShape): Promise<Read<Tensor>[]> {
  return Promise.all(
    inputs.map(async (input, index): Promise<Read<Tensor>> => {
      const source = labelOf(input, index, 'image');
      try {
        if (typeof input === 'string' || input instanceof Uint8Array) {
          const image = await decodeImage(input, {
            channels: shape.channels === 1 ? 1 : 3,
            size: [shape.size, shape.size],
            fit: 'cover',
          });
          return { source, value: imagesToTensor([image], { range: 'signed' }) };
        }
        const expected = [shape.channels, shape.size, shape.size];
        const dims = input.rank === 4 ? input.shape.slice(1) : input.shape;
        if ((input.rank !== 3 && !(input.rank === 4 && input.shape[0] === 1)) || dims.join() !== expected.join()) {
          throw new Error(
            `a picture tensor must be [${expected.join(', ')}] (or [1, …]) in [-1, 1], got [${input.shape.join(', ')}]; pass a file or bytes to have it resized`,
          );
        }
        return { source, value: tidy(() => input.reshape(1, ...expected).float()) };
      } catch (error) {
        return { source, error: reason(error) };
      }
    }),
  );
}

/** Clips at the run's rate and length (files: folded to mono, resampled, trimmed and centred). */
export async function readClips(inputs: readonly AudioInput[], shape: ClipShape): Promise<Read<Float32Array>[]> {
  return Promise.all(
    inputs.map(async (input, index): Promise<Read<Float32Array>> => {
      const source = labelOf(input, index, 'clip');
      try {
        if (typeof input === 'string' || input instanceof Uint8Array)
          return { source, value: clipForModel(await readWav(input, { name: source }), shape, source) };
        const samples = input instanceof Float32Array ? input : Float32Array.from(input.toFlatArray());
        return { source, value: clipForModel({ samples, sampleRate: shape.sampleRate }, shape, source) };
      } catch (error) {
        return { source, error: reason(error) };
      }
    }),
  );
}

/** The readable pictures as one batch [N, C, S, S] (the per-input tensors are freed). */
export function batchOf(reads: readonly Read<Tensor>[]): Tensor | undefined {
  const good = reads.flatMap((read) => ('value' in read ? [read.value] : []));
  if (good.length === 0) return undefined;
  try {
    return cat(good, 0);
  } finally {
    for (const tensor of good) tensor.dispose();
  }
}
