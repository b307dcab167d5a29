// A joint output written to a folder: a PNG per image, a 16 kHz WAV and a spectrogram PNG per clip, the
// texts, a manifest.jsonl (one line per row) and one contact sheet where each row is one sample — its
// image, then its spectrogram, each captioned with the sample's text. Every file is written atomically.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../data/files.js';
import { writeSpectrogramPng, writeWav } from '../../modalities/audio/index.js';
import type { SpectrogramCodec } from '../../modalities/audio/spectrogram-codec.js';
import { type ContactSheetTile, tensorToImages, writeContactSheet, writeImage } from '../../modalities/image/index.js';
import { tidy } from '../../tensor/index.js';
import { spectrogramTile } from '../spectrogram-tiles.js';
import type { JointOutput } from './outputs.js';

export interface WriteJointOptions {
  /** What each row came from (e.g. its input caption), recorded in the manifest. */
  sources?: readonly Record<string, string>[];
  seed: number;
  /** Draws per input row (the manifest's `draw` counts within a row). */
  draws?: number;
  sheetName?: string;
}

export interface WrittenJoint {
  folder: string;
  sheet: string;
  files: string[];
}

const pad = (index: number): string => String(index).padStart(3, '0');

export async function writeJointOutput(
  folder: string,
  output: JointOutput,
  codec: SpectrogramCodec | undefined,
  options: WriteJointOptions,
): Promise<WrittenJoint> {
  await mkdir(folder, { recursive: true });
  const rows = output.image?.shape[0] ?? output.audio?.clips.length ?? output.text?.length ?? 0;
  const images = output.image ? tensorToImages(output.image, { range: 'signed' }) : [];
  const spectrogramPictures =
    output.audio && codec
      ? tidy(() => {
          const logMel = codec.toLogMel((output.audio as NonNullable<JointOutput['audio']>).spectrograms);
          return Array.from({ length: rows }, (_, index) => logMel.select(0, index));
        })
      : [];
  const files: string[] = [];
  const lines: string[] = [];
  const tiles: ContactSheetTile[] = [];
  try {
    for (let index = 0; index < rows; index++) {
      const record: Record<string, unknown> = {
        index,
        seed: options.seed,
        draw: index % (options.draws ?? 1),
        ...(options.sources?.[index] ? { from: options.sources[index] } : {}),
      };
      const text = output.text?.[index]?.text;
      if (text !== undefined) record.text = text;
      const caption = text ?? Object.values(options.sources?.[index] ?? {}).join(' · ');
      const image = images[index];
      if (image) {
        const name = `${pad(index)}-image.png`;
        await writeImage(join(folder, name), image);
        files.push(join(folder, name));
        record.image = name;
        tiles.push({ image, caption });
      }
      const clip = output.audio?.clips[index];
      const picture = spectrogramPictures[index];
      if (clip && output.audio && picture) {
        const wav = `${pad(index)}-audio.wav`;
        const png = `${pad(index)}-spectrogram.png`;
        await writeWav(join(folder, wav), clip, output.audio.sampleRate);
        await writeSpectrogramPng(join(folder, png), picture, { input: 'log' });
        files.push(join(folder, wav), join(folder, png));
        Object.assign(record, { audio: wav, spectrogram: png, sampleRate: output.audio.sampleRate });
        tiles.push({ image: await spectrogramTile(picture), caption: image ? '' : caption });
      }
      if (!image && !clip)
        tiles.push({ image: { width: 64, height: 64, channels: 1, data: new Uint8Array(64 * 64) }, caption });
      lines.push(JSON.stringify(record));
    }
  } finally {
    for (const picture of spectrogramPictures) picture.dispose();
  }
  await writeFileAtomic(join(folder, 'manifest.jsonl'), `${lines.join('\n')}\n`);
  if (output.text)
    await writeFileAtomic(join(folder, 'texts.txt'), `${output.text.map((generated) => generated.text).join('\n')}\n`);
  const perRow = (output.image ? 1 : 0) + (output.audio ? 1 : 0) || 1;
  const sheet = join(folder, options.sheetName ?? 'sheet.png');
  await writeContactSheet(sheet, tiles, {
    columns: perRow * Math.max(1, Math.min(4, Math.floor(8 / perRow))),
    tileSize: [128, 128],
  });
  files.push(join(folder, 'manifest.jsonl'), sheet);
  return { folder, sheet, files };
}
