// A joint run's inputs from what a user gives: captions, image files (any size or format, fitted to the
// run's pictures), WAV files (folded to mono, resampled, trimmed and centred as in training, then turned
// into the run's spectrogram). Each row is one input of each given modality; a row whose file cannot be
// read is reported by name and left out, so the others still translate.
import { decodeImage, imagesToTensor } from '../../modalities/image/index.js';
import { type Tensor, cat, dispose, tensor, tidy } from '../../tensor/index.js';
import { readClip } from '../transcriber-run.js';
import { encodeCaptions } from './captions.js';
import type { JointInputs, JointModel } from './model.js';
import { type ModalityName, MODALITIES } from './parts.js';

/** Captions, and image and WAV files as paths or bytes (bytes are named "image 1", "audio 2"… in reports). */
export interface RawJointInputs {
  text?: readonly string[];
  image?: readonly (string | Uint8Array)[];
  audio?: readonly (string | Uint8Array)[];
}

/** How an input is named in the manifest and in errors. */
const labelOf = (name: ModalityName, value: string | Uint8Array | undefined, row: number): string =>
  typeof value === 'string' ? value : `${name} ${row + 1}`;

export interface PreparedInputs {
  inputs: JointInputs;
  /** Per kept row, what it was made from (for the manifest). */
  sources: Record<string, string>[];
  /** Rows left out, with the reason (naming the file). */
  failures: { row: number; source: string; error: string }[];
}

/** Checks the given modalities against the run and that every given list has the same number of rows. */
function checkShape(model: Pick<JointModel, 'names'>, raw: RawJointInputs): { given: ModalityName[]; rows: number } {
  const given = MODALITIES.filter((name) => (raw[name]?.length ?? 0) > 0);
  if (given.length === 0)
    throw new Error(
      `give at least one input: --text "…", --image FILE or --audio FILE.wav (this run reads ${model.names.join(', ')})`,
    );
  for (const name of given)
    if (!model.names.includes(name))
      throw new Error(
        `this run was not trained on ${name}; give ${model.names.map((known) => `--${known}`).join(', ')}`,
      );
  const counts = given.map((name) => raw[name]?.length ?? 0);
  if (new Set(counts).size > 1)
    throw new Error(
      `give as many of each input as of the others (rows pair up): ${given.map((name, index) => `${counts[index]} ${name}`).join(', ')}`,
    );
  return { given, rows: counts[0] ?? 0 };
}

export async function prepareJointInputs(model: JointModel, raw: RawJointInputs): Promise<PreparedInputs> {
  const { given, rows } = checkShape(model, raw);
  const { image, audio, tokenizer } = model.shapes;
  const failures: PreparedInputs['failures'] = [];
  const perRow = await Promise.all(
    Array.from({ length: rows }, async (_, row) => {
      const read: Partial<Record<ModalityName, Tensor | string>> = {};
      try {
        for (const name of given) {
          const source = raw[name]?.[row];
          if (source === undefined) continue;
          if (name === 'text') {
            if (typeof source !== 'string') throw new Error(`text input ${row + 1} must be a string`);
            dispose(encodeCaptions.batch(tokenizer, [source]));
            read.text = source;
          } else if (name === 'image' && image) {
            read.image = imagesToTensor(
              [
                await decodeImage(source, {
                  channels: image.channels === 1 ? 1 : 3,
                  size: [image.size, image.size],
                  fit: 'cover',
                }),
              ],
              { range: 'signed' },
            );
          } else if (name === 'audio' && audio) {
            const clip = await readClip(source, audio, labelOf(name, source, row));
            read.audio = tensor(clip, { shape: [1, audio.samples] });
          }
        }
        return read;
      } catch (error) {
        for (const value of Object.values(read)) if (typeof value !== 'string') value?.dispose();
        failures.push({
          row,
          source: given.map((name) => labelOf(name, raw[name]?.[row], row)).join(' + '),
          error: (error as Error).message,
        });
        return undefined;
      }
    }),
  );
  const kept = perRow.flatMap((read, row) => (read ? [{ read, row }] : []));
  const sources = kept.map(({ row }) =>
    Object.fromEntries(given.map((name) => [name, labelOf(name, raw[name]?.[row], row)])),
  );
  const inputs: JointInputs = {};
  try {
    if (kept.length > 0) {
      if (given.includes('text'))
        inputs.text = encodeCaptions.batch(
          tokenizer,
          kept.map(({ read }) => read.text as string),
        );
      if (given.includes('image'))
        inputs.image = cat(
          kept.map(({ read }) => read.image as Tensor),
          0,
        );
      if (given.includes('audio')) {
        const codec = model.codec;
        if (!codec) throw new Error('this run has no spectrogram codec');
        inputs.audio = tidy(() =>
          codec.encode(
            cat(
              kept.map(({ read }) => read.audio as Tensor),
              0,
            ),
          ),
        );
      }
    }
  } finally {
    for (const { read } of kept)
      for (const value of Object.values(read)) if (typeof value !== 'string') value?.dispose();
  }
  return { inputs, sources, failures };
}
