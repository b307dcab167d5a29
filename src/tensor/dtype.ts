// dtype names and the codes the addon uses (table.cc kTypes, same order).
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool' | 'complex64';

const names: DType[] = ['float32', 'float64', 'int64', 'int32', 'uint8', 'bool', 'complex64'];

export function dtypeCode(dtype: DType): number {
  const code = names.indexOf(dtype);
  if (code < 0) throw new Error(`unknown dtype "${String(dtype)}"; use one of ${names.join(', ')}`);
  return code;
}

export function dtypeName(code: number): DType {
  const name = names[code];
  if (name === undefined) throw new Error(`unknown dtype code ${code}`);
  return name;
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int64'
      ? BigInt64Array
      : D extends 'int32'
        ? Int32Array
        : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** The dtype a typed array maps to when no dtype is given. */
export function dtypeOfArray(
  data: AnyTypedArray | Int8Array | Uint8ClampedArray | Int16Array | Uint16Array | Uint32Array,
): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  throw new Error(
    `unsupported typed array ${data.constructor.name}; convert to Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array`,
  );
}
