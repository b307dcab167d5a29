// `folder`: a user's own images and/or WAVs with captions.csv or captions.jsonl. Every file is decoded
// (so a corrupt one is caught here, not mid-training), images are resized to a square, audio is
// resampled to mono at one rate and padded or cut to one length.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { encodeWav, readWav, resample } from '../../modalities/audio/index.js';
import { decodeImage } from '../../modalities/image/index.js';
import { progressReporter } from '../events.js';
import type { ManifestEntry, Split } from '../format.js';
import { runPool } from '../pool.js';
import { defineBuilder, sampleFile, stratifiedSplits, writeBytes, writePng, type BuildContext } from './common.js';
import { readCaptionsFile, type CaptionRow } from './captions-file.js';

const options = z.object({
  input: z.string().min(1).describe('folder with the images/WAVs and captions.csv or captions.jsonl'),
  captions: z.string().optional().describe('captions file (default: captions.csv or captions.jsonl in --input)'),
  imageSize: z.coerce
    .number()
    .int()
    .min(8)
    .max(1024)
    .default(64)
    .describe('images are centre-cropped and resized to this square size'),
  channels: z.coerce
    .number()
    .int()
    .refine((value) => value === 1 || value === 3, 'must be 1 (grey) or 3 (RGB)')
    .default(3)
    .describe('1 grey or 3 RGB'),
  sampleRate: z.coerce
    .number()
    .int()
    .min(1000)
    .max(192000)
    .default(16000)
    .describe('audio is resampled to this rate (Hz)'),
  audioSamples: z.coerce
    .number()
    .int()
    .min(1)
    .default(16384)
    .describe('audio clips are padded or cut to this many samples'),
  val: z.coerce
    .number()
    .min(0)
    .max(0.5)
    .default(0.1)
    .describe('fraction for validation when the captions give no split'),
  test: z.coerce.number().min(0).max(0.5).default(0.1).describe('fraction for test when the captions give no split'),
  skipBad: z.boolean().default(false).describe('skip (and list) corrupt or unreadable files instead of stopping'),
});
type FolderOptions = z.infer<typeof options>;

function findCaptions(input: string, given: string | undefined): string {
  if (given !== undefined) {
    const path = isAbsolute(given) ? given : existsSync(given) ? given : join(input, given);
    if (!existsSync(path)) throw new Error(`captions file ${given} not found`);
    return path;
  }
  for (const name of ['captions.csv', 'captions.jsonl']) if (existsSync(join(input, name))) return join(input, name);
  throw new Error(
    `${input} has no captions.csv or captions.jsonl; add one with the columns file,caption[,split], or pass --captions FILE`,
  );
}

/** A path from the captions file, kept inside the input folder. */
function inputPath(input: string, file: string, row: CaptionRow, captionsPath: string): string {
  const path = resolve(input, file);
  const inside = relative(resolve(input), path);
  if (inside.startsWith('..') || isAbsolute(inside))
    throw new Error(`${captionsPath} line ${row.line}: ${file} is outside ${input}`);
  return path;
}

interface Prepared {
  row: CaptionRow;
  entry: ManifestEntry;
  imageSource?: string;
  audioSource?: string;
}

async function processSample(context: BuildContext, opts: FolderOptions, sample: Prepared): Promise<void> {
  if (sample.imageSource !== undefined && sample.entry.image !== undefined) {
    const image = await decodeImage(sample.imageSource, {
      channels: opts.channels as 1 | 3,
      size: [opts.imageSize, opts.imageSize],
      fit: 'cover',
    });
    await writePng(context, sample.entry.image, image);
  }
  if (sample.audioSource !== undefined && sample.entry.audio !== undefined) {
    const wav = await readWav(sample.audioSource);
    if (wav.samples.length === 0) throw new Error(`cannot read WAV ${sample.audioSource}: it has no samples`);
    const samples = resample(wav.samples, wav.sampleRate, opts.sampleRate);
    const clip = new Float32Array(opts.audioSamples);
    clip.set(samples.subarray(0, opts.audioSamples));
    await writeBytes(context, sample.entry.audio, encodeWav(clip, opts.sampleRate));
  }
}

export const folderBuilder = defineBuilder({
  name: 'folder',
  summary: 'your own images and/or WAVs with captions.csv or captions.jsonl',
  options,
  async build(context, opts) {
    if (!existsSync(opts.input)) throw new Error(`input folder ${opts.input} does not exist`);
    const captionsPath = findCaptions(opts.input, opts.captions);
    const rows = await readCaptionsFile(captionsPath);
    if (rows.length === 0) throw new Error(`${captionsPath} lists no files`);
    const hasImage = rows[0]?.image !== undefined;
    const hasAudio = rows[0]?.audio !== undefined;
    for (const row of rows) {
      if ((row.image !== undefined) !== hasImage || (row.audio !== undefined) !== hasAudio) {
        throw new Error(
          `${captionsPath} line ${row.line}: every row must have the same kinds of file (the first row has ${[hasImage ? 'an image' : '', hasAudio ? 'audio' : ''].filter(Boolean).join(' and ')})`,
        );
      }
    }
    const drawn = stratifiedSplits(
      rows.map(() => 'all'),
      opts,
      context.random,
    );
    const samples: Prepared[] = rows.map((row, index) => ({
      row,
      entry: {
        id: row.image ?? row.audio ?? String(index),
        split: row.split ?? (drawn[index] as Split),
        text: row.caption,
        ...(hasImage ? { image: sampleFile('images', index, rows.length, 'png') } : {}),
        ...(hasAudio ? { audio: sampleFile('audio', index, rows.length, 'wav') } : {}),
      },
      ...(row.image !== undefined ? { imageSource: inputPath(opts.input, row.image, row, captionsPath) } : {}),
      ...(row.audio !== undefined ? { audioSource: inputPath(opts.input, row.audio, row, captionsPath) } : {}),
    }));
    const seen = new Map<string, number>();
    for (const sample of samples) {
      const earlier = seen.get(sample.entry.id);
      if (earlier !== undefined)
        throw new Error(`${captionsPath} lists ${sample.entry.id} twice (lines ${earlier} and ${sample.row.line})`);
      seen.set(sample.entry.id, sample.row.line);
    }
    const skipped: string[] = [];
    const report = progressReporter(context.onEvent, samples.length, 'checking and converting files');
    await runPool(
      samples.length,
      Math.max(2, context.concurrency),
      async (index) => {
        const sample = samples[index] as Prepared;
        try {
          await processSample(context, opts, sample);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          if (!opts.skipBad)
            throw new Error(
              `${reason} (${captionsPath} line ${sample.row.line}; fix or remove the file, or pass --skip-bad to skip it)`,
              { cause: error },
            );
          skipped.push(`${sample.imageSource ?? sample.audioSource ?? ''}: ${reason}`);
          context.onEvent?.({
            type: 'notice',
            message: `skipped ${sample.row.image ?? sample.row.audio ?? ''}: ${reason}`,
          });
          for (const written of [sample.entry.image, sample.entry.audio])
            if (written !== undefined) await rm(join(context.dir, written), { force: true });
          sample.entry.id = '';
        }
      },
      report,
      context.signal,
    );
    const entries = samples.map((sample) => sample.entry).filter((entry) => entry.id !== '');
    if (entries.length === 0) throw new Error(`every file listed in ${captionsPath} was unreadable; nothing to build`);
    skipped.sort();
    return {
      entries,
      description: `user data from ${resolve(opts.input)}`,
      ...(hasImage
        ? {
            image: {
              width: opts.imageSize,
              height: opts.imageSize,
              channels: opts.channels as 1 | 3,
              format: 'png' as const,
            },
          }
        : {}),
      ...(hasAudio
        ? {
            audio: {
              sampleRate: opts.sampleRate,
              samples: opts.audioSamples,
              channels: 1 as const,
              format: 'wav' as const,
            },
          }
        : {}),
      provenance: {
        sources: [resolve(opts.input), resolve(captionsPath)],
        licence: "as the user's own data",
        ...(skipped.length > 0 ? { notes: `skipped ${skipped.length} unreadable file(s): ${skipped.join('; ')}` } : {}),
      },
    };
  },
});
