// Uploaded images and WAVs: size, emptiness and decodability checked before anything is saved; saved under
// OUTPUTS/uploads/ with a fresh name (the client's file name is never used as a path).
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { MultipartValue } from '@fastify/multipart';
import sharp from 'sharp';
import { writeFileAtomic } from '../data/files.js';
import { decodeWav } from '../modalities/audio/index.js';
import { HttpError, badRequest } from './errors.js';

// the server only reads an upload's header to check it; libvips' cache of decoded images would only hold memory
sharp.cache(false);

export const UPLOAD_LIMITS = { bytes: 10 * 1024 * 1024, wavSeconds: 30, imageSide: 4096 } as const;

/** Uploads are kept an hour for jobs to name them, then swept. */
export const UPLOAD_LIFETIME_MS = 60 * 60 * 1000;

/** Deletes uploads older than `lifetimeMs`, every tenth of it; returns the timer. */
export function sweepUploads(folder: string, lifetimeMs: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    void (async () => {
      const names = await readdir(folder).catch(() => [] as string[]);
      for (const name of names) {
        const path = join(folder, name);
        const info = await stat(path).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs > lifetimeMs) await rm(path, { force: true });
      }
    })();
  }, lifetimeMs / 10);
  timer.unref();
  return timer;
}

/** Deletes an upload a synchronous shortcut made for itself, once its job has finished. */
export async function discardUpload(outputsDir: string, upload: Upload): Promise<void> {
  await rm(join(outputsDir, upload.path), { force: true });
}

export type UploadKind = 'image' | 'audio';

export interface Upload {
  kind: UploadKind;
  /** Path relative to the outputs folder, as job inputs name files. */
  path: string;
  bytes: number;
  fields: Record<string, string>;
}

/** Reads the one file of a multipart request; refuses a missing, empty, oversized or undecodable file. */
export async function receiveUpload(
  request: FastifyRequest,
  outputsDir: string,
  expected?: UploadKind,
): Promise<Upload> {
  if (!request.isMultipart())
    throw new HttpError(415, 'not_multipart', 'send the file as multipart/form-data with one field "file"');
  let part;
  try {
    part = await request.file({ limits: { fileSize: UPLOAD_LIMITS.bytes, files: 1 } });
  } catch (error) {
    throw badRequest(
      'bad_multipart',
      `the multipart body could not be read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!part) throw badRequest('missing_file', 'the request holds no file; send one in the field "file"');
  const tooLarge = new HttpError(
    413,
    'file_too_large',
    `"${part.filename}" is larger than ${UPLOAD_LIMITS.bytes / 1024 / 1024} MB, the most an upload may hold`,
  );
  let bytes: Buffer;
  try {
    bytes = await part.toBuffer();
  } catch {
    throw tooLarge;
  }
  if (part.file.truncated) throw tooLarge;
  const fields: Record<string, string> = {};
  for (const [name, field] of Object.entries(part.fields)) {
    const value = field as MultipartValue | undefined;
    if (value && !Array.isArray(field) && value.type === 'field') fields[name] = String(value.value);
  }
  if (bytes.length === 0)
    throw badRequest('empty_file', `"${part.filename}" is empty (0 bytes); send an image or a WAV`);
  const kind: UploadKind = expected ?? (bytes.subarray(0, 4).toString('latin1') === 'RIFF' ? 'audio' : 'image');
  const extension = kind === 'audio' ? 'wav' : await checkImage(bytes, part.filename);
  if (kind === 'audio') checkWav(bytes, part.filename);
  const folder = join(outputsDir, 'uploads');
  await mkdir(folder, { recursive: true });
  const name = `${randomUUID()}.${extension}`;
  await writeFileAtomic(join(folder, name), bytes);
  return { kind, path: `uploads/${name}`, bytes: bytes.length, fields };
}

async function checkImage(bytes: Buffer, filename: string): Promise<string> {
  let metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: UPLOAD_LIMITS.imageSide ** 2 }).metadata();
  } catch (error) {
    throw badRequest(
      'corrupt_image',
      `"${filename}" is not a readable image (${error instanceof Error ? error.message : String(error)}); send a PNG, JPEG, WebP, GIF or TIFF`,
    );
  }
  const { width = 0, height = 0, format } = metadata;
  if (width > UPLOAD_LIMITS.imageSide || height > UPLOAD_LIMITS.imageSide) {
    throw new HttpError(
      413,
      'image_too_large',
      `"${filename}" is ${width}×${height}; an image may be at most ${UPLOAD_LIMITS.imageSide} pixels a side`,
    );
  }
  return format === 'jpeg' ? 'jpg' : (format ?? 'img');
}

function checkWav(bytes: Buffer, filename: string): void {
  let seconds: number;
  try {
    const wav = decodeWav(bytes, filename);
    seconds = wav.samples.length / wav.sampleRate;
  } catch (error) {
    throw badRequest(
      'corrupt_wav',
      `"${filename}" is not a readable WAV (${error instanceof Error ? error.message : String(error)}); send a PCM or float WAV`,
    );
  }
  if (seconds > UPLOAD_LIMITS.wavSeconds) {
    throw new HttpError(
      413,
      'wav_too_long',
      `"${filename}" lasts ${seconds.toFixed(1)} s; a WAV may last at most ${UPLOAD_LIMITS.wavSeconds} s`,
    );
  }
}
