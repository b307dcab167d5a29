// The safetensors file format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {..}}
// padded with spaces to 8 bytes, then the raw little-endian tensor bytes. Written by hand because no
// npm package exists that hands bytes to our native tensors without an extra copy; the format is tiny.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { type DType, dtypeCode } from './dtype.js';
import { INT8_SCALE_SUFFIX, dequantizeRows, int8Eligible, narrow, quantizeRows, widen } from './narrow-storage.js';
import { native } from './native.js';
import { Tensor } from './tensor.js';

export type SafetensorsInput = Map<string, Tensor> | Record<string, Tensor>;
/** `half`: float32 tensors are stored as IEEE half (F16), halving the file; they load back as float32. A tensor
 * with a value beyond half's range (±65504, e.g. a batch-norm running variance) stays float32.
 * `int8`: float32 weight matrices and kernels (2+ dimensions, 1024+ values) are stored as 8-bit integers with a
 * float32 scale per row in the entry `NAME.int8_scale`, a quarter of the bytes; they load back as float32. */
export interface SaveOptions {
  half?: boolean;
  int8?: boolean;
}
export interface SafetensorsContent {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const toFileDtype: Partial<Record<DType, string>> = {
  float32: 'F32',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};
const fromFileDtype: Record<string, { dtype: DType; bytes: number }> = {
  F32: { dtype: 'float32', bytes: 4 },
  F64: { dtype: 'float64', bytes: 8 },
  I64: { dtype: 'int64', bytes: 8 },
  I32: { dtype: 'int32', bytes: 4 },
  U8: { dtype: 'uint8', bytes: 1 },
  BOOL: { dtype: 'bool', bytes: 1 },
  // half precision files from the wider ecosystem are widened to float32 on load
  F16: { dtype: 'float32', bytes: 2 },
  BF16: { dtype: 'float32', bytes: 2 },
  // int8 with per-row scales (SaveOptions.int8) is dequantized to float32 on load
  I8: { dtype: 'float32', bytes: 1 },
};
// The reference implementation refuses headers above 100 MB; so do we (a corrupt length is caught early).
const maxHeaderBytes = 100_000_000;

interface Encoded {
  header: Uint8Array;
  chunks: Uint8Array[];
}

function entriesOf(tensors: SafetensorsInput): [string, Tensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
}

function encode(
  path: string,
  tensors: SafetensorsInput,
  metadata: Record<string, string> | undefined,
  options: SaveOptions,
): Encoded {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string')
        throw new Error(
          `safetensors metadata must map strings to strings; "${key}" is a ${typeof value} (JSON.stringify it first)`,
        );
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const add = (name: string, dtype: string, shape: readonly number[], bytes: Uint8Array): void => {
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  };
  for (const [name, tensor] of entriesOf(tensors)) {
    if (name === '__metadata__')
      throw new Error(
        `cannot save a tensor named "__metadata__" to ${path}: the name is reserved by the safetensors format`,
      );
    if (tensor.isDisposed) throw new Error(`cannot save tensor "${name}" to ${path}: it was disposed`);
    const data = tensor.dataSync();
    if (options.int8 === true && tensor.dtype === 'float32' && int8Eligible(tensor.shape, data as Float32Array)) {
      const { values, scales } = quantizeRows(data as Float32Array, tensor.shape[0] as number);
      add(name, 'I8', tensor.shape, new Uint8Array(values.buffer));
      add(`${name}${INT8_SCALE_SUFFIX}`, 'F32', [scales.length], new Uint8Array(scales.buffer));
      continue;
    }
    const halved = options.half === true && tensor.dtype === 'float32' ? narrow(data as Float32Array) : undefined;
    const fileDtype = halved ? 'F16' : toFileDtype[tensor.dtype];
    if (fileDtype === undefined)
      throw new Error(
        `cannot save tensor "${name}" to ${path}: dtype ${tensor.dtype} has no safetensors equivalent; convert it first`,
      );
    add(name, fileDtype, tensor.shape, halved ?? new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const json = JSON.stringify(header);
  const jsonBytes = Buffer.from(json, 'utf8');
  const padded = Math.ceil(jsonBytes.byteLength / 8) * 8;
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded), 0);
  jsonBytes.copy(head, 8);
  return { header: head, chunks };
}

const temporaryPath = (path: string): string => `${path}.tmp-${process.pid}`;

/** Writes tensors as a safetensors file: to a temporary name first, then renamed into place. */
export async function saveSafetensors(
  path: string,
  tensors: SafetensorsInput,
  metadata?: Record<string, string>,
  options: SaveOptions = {},
): Promise<void> {
  const { header, chunks } = encode(path, tensors, metadata, options);
  const temporary = temporaryPath(path);
  try {
    const file = await open(temporary, 'w');
    try {
      for (const chunk of [header, ...chunks]) {
        let written = 0;
        while (written < chunk.byteLength) written += (await file.write(chunk, written)).bytesWritten;
      }
      await file.datasync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`could not write safetensors file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export function saveSafetensorsSync(
  path: string,
  tensors: SafetensorsInput,
  metadata?: Record<string, string>,
  options: SaveOptions = {},
): void {
  const { header, chunks } = encode(path, tensors, metadata, options);
  const temporary = temporaryPath(path);
  try {
    const file = openSync(temporary, 'w');
    try {
      for (const chunk of [header, ...chunks]) {
        let written = 0;
        while (written < chunk.byteLength) written += writeSync(file, chunk, written);
      }
      fsyncSync(file);
    } finally {
      closeSync(file);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new Error(`could not write safetensors file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

// ---- reading ----

function corrupt(path: string, why: string): Error {
  return new Error(`${path} is not a valid safetensors file: ${why}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Whether `name` is the scale entry of an int8 tensor in the header (read with that tensor, not on its own). */
function int8Base(header: Record<string, unknown>, name: string): boolean {
  const base = header[name.slice(0, -INT8_SCALE_SUFFIX.length)];
  return isRecord(base) && base.dtype === 'I8';
}

interface EntryData {
  dtype: string;
  dims: number[];
  bytes: Uint8Array;
  kind: { dtype: DType; bytes: number };
}

/** One header entry checked against the file: its dtype, shape and bytes. */
function entryData(path: string, file: Buffer, dataStart: number, name: string, entry: unknown): EntryData {
  if (!isRecord(entry)) throw corrupt(path, `entry "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') throw corrupt(path, `tensor "${name}" has no dtype`);
  const kind = fromFileDtype[dtype];
  if (kind === undefined) {
    throw new Error(
      `${path}: tensor "${name}" has dtype ${dtype}, which mmgen cannot load; supported: ${Object.keys(fromFileDtype).join(', ')}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount))
    throw corrupt(path, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw corrupt(path, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const dims = shape as number[];
  const expected = dims.reduce((a, b) => a * b, 1) * kind.bytes;
  if (end < begin || end - begin !== expected) {
    throw corrupt(
      path,
      `tensor "${name}" (${dtype} [${dims.join(', ')}]) needs ${expected} bytes but data_offsets [${begin}, ${end}] give ${end - begin}`,
    );
  }
  const dataLength = file.byteLength - dataStart;
  if (end > dataLength)
    throw corrupt(
      path,
      `tensor "${name}" ends at byte ${end} but the data section has ${dataLength} bytes (truncated file?)`,
    );
  return { dtype, dims, bytes: file.subarray(dataStart + begin, dataStart + end), kind };
}

function decode(path: string, file: Buffer): SafetensorsContent {
  if (file.byteLength < 8)
    throw corrupt(path, `the file has ${file.byteLength} bytes, fewer than the 8-byte header length (truncated?)`);
  const headerLength = file.readBigUInt64LE(0);
  if (headerLength > BigInt(maxHeaderBytes))
    throw corrupt(path, `header length ${headerLength} is implausible (corrupt file?)`);
  if (Number(headerLength) > file.byteLength - 8) {
    throw corrupt(
      path,
      `header length ${headerLength} exceeds the ${file.byteLength - 8} bytes after it (truncated file?)`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(file.toString('utf8', 8, dataStart));
  } catch (error) {
    throw corrupt(path, `the header is not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(header)) throw corrupt(path, 'the header is not a JSON object');
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, Tensor>();
  try {
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') {
        if (!isRecord(entry)) throw corrupt(path, '__metadata__ is not an object');
        for (const [key, value] of Object.entries(entry)) {
          if (typeof value !== 'string') throw corrupt(path, `__metadata__.${key} is not a string`);
          metadata[key] = value;
        }
        continue;
      }
      if (name.endsWith(INT8_SCALE_SUFFIX) && int8Base(header, name)) continue;
      const { dtype, dims, bytes, kind } = entryData(path, file, dataStart, name, entry);
      let data: Uint8Array | Float32Array = bytes;
      if (dtype === 'F16' || dtype === 'BF16') data = widen(bytes, dtype);
      if (dtype === 'I8') {
        const scaleName = `${name}${INT8_SCALE_SUFFIX}`;
        if (!(scaleName in header))
          throw new Error(
            `${path}: int8 tensor "${name}" has no "${scaleName}" entry; mmgen reads int8 weights with a scale per row, as \`mmgen export --int8\` writes them`,
          );
        const scale = entryData(path, file, dataStart, scaleName, header[scaleName]);
        if (scale.dtype !== 'F32' || scale.dims.length !== 1 || scale.dims[0] !== dims[0])
          throw corrupt(path, `"${scaleName}" must be F32 [${dims[0]}], one scale per row of "${name}"`);
        const scales = new Float32Array(Uint8Array.from(scale.bytes).buffer); // a copy: the view may be unaligned
        data = dequantizeRows(bytes, scales);
      }
      tensors.set(name, new Tensor(native().fromTypedArray(data, dims, dtypeCode(kind.dtype))));
    }
  } catch (error) {
    for (const tensor of tensors.values()) tensor.dispose();
    throw error;
  }
  return { tensors, metadata };
}

function readError(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new Error(`safetensors file not found: ${path}`, { cause: error });
  if (code === 'EISDIR') return new Error(`${path} is a directory, not a safetensors file`, { cause: error });
  return new Error(`could not read safetensors file ${path}: ${(error as Error).message}`, { cause: error });
}

/** Reads a safetensors file into new tensors (the caller owns them: dispose or keep). */
export async function loadSafetensors(path: string): Promise<SafetensorsContent> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (error) {
    throw readError(path, error);
  }
  return decode(path, file);
}

export function loadSafetensorsSync(path: string): SafetensorsContent {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (error) {
    throw readError(path, error);
  }
  return decode(path, file);
}
