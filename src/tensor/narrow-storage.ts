// Narrow storage for float32 weights in safetensors files: IEEE half (F16, or BF16 from the wider ecosystem)
// and 8-bit integers with one float32 scale per row (symmetric, per output channel: the scheme of weight-only
// int8 exports such as transformers.js's q8). Both load back as float32; only the file shrinks.
import { getFloat16, setFloat16 } from '@petamoriken/float16';

/** The companion entry that holds an I8 tensor's scales, one per row (its first dimension). */
export const INT8_SCALE_SUFFIX = '.int8_scale';

/** Smallest tensor worth 8 bits: biases and norms are tiny and sensitive, so they keep float precision. */
const smallestInt8 = 1024;

/** float32 → IEEE half bytes, or undefined when a finite value lies beyond half's range (the tensor stays float32). */
export function narrow(data: Float32Array): Uint8Array | undefined {
  const bytes = new Uint8Array(data.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    const value = data[i] as number;
    setFloat16(view, i * 2, value, true);
    if (Number.isFinite(value) && !Number.isFinite(getFloat16(view, i * 2, true))) return undefined;
  }
  return bytes;
}

/** IEEE half / bfloat16 bit patterns to float32. */
export function widen(bytes: Uint8Array, fileDtype: 'F16' | 'BF16'): Float32Array {
  const count = bytes.byteLength / 2;
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fileDtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = getFloat16(view, i * 2, true);
  return out;
}

/** Whether a float32 tensor of this shape is stored in 8 bits: weight matrices and kernels, not vectors. */
export function int8Eligible(shape: readonly number[], data: Float32Array): boolean {
  return shape.length >= 2 && data.length >= smallestInt8 && data.every(Number.isFinite);
}

/** Rows (the first dimension) to int8 in [-127, 127], each with the scale that maps its largest |value| to 127. */
export function quantizeRows(data: Float32Array, rows: number): { values: Int8Array; scales: Float32Array } {
  const columns = data.length / rows;
  const values = new Int8Array(data.length);
  const scales = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    let largest = 0;
    for (let i = row * columns; i < (row + 1) * columns; i++) largest = Math.max(largest, Math.abs(data[i] as number));
    const scale = largest / 127;
    scales[row] = scale;
    if (scale === 0) continue;
    for (let i = row * columns; i < (row + 1) * columns; i++) values[i] = Math.round((data[i] as number) / scale);
  }
  return { values, scales };
}

/** The float32 values an int8 tensor and its row scales stand for. */
export function dequantizeRows(bytes: Uint8Array, scales: Float32Array): Float32Array {
  const values = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const columns = values.length / scales.length;
  const out = new Float32Array(values.length);
  for (let row = 0; row < scales.length; row++) {
    const scale = scales[row] as number;
    for (let i = row * columns; i < (row + 1) * columns; i++) out[i] = (values[i] as number) * scale;
  }
  return out;
}
