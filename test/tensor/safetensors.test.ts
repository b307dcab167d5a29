import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory, tensor, dispose, randn, type Tensor } from '../../src/tensor/index.js';
import {
  loadSafetensors,
  loadSafetensorsSync,
  saveSafetensors,
  saveSafetensorsSync,
} from '../../src/tensor/safetensors.js';

const directory = mkdtempSync(join(tmpdir(), 'mmgen-safetensors-'));
process.on('exit', () => rmSync(directory, { recursive: true, force: true }));

/** A safetensors file assembled byte by byte from the format description. */
function handMade(header: object, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.byteLength));
  return Buffer.concat([length, json, data]);
}

function bytesOf(t: Tensor): Buffer {
  const data = t.dataSync();
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

test('round trip keeps every dtype bit-exact, with metadata', async () => {
  const before = memory().tensors;
  const tensors = new Map<string, Tensor>([
    ['weights', tensor(new Float32Array([1.5, -0, NaN, Infinity, -3.25e-38, 7]), { shape: [2, 3] })],
    ['doubles', tensor(new Float64Array([Math.PI, -Math.E, 1e-300]))],
    ['steps', tensor(new BigInt64Array([0n, -5n, 9007199254740993n]))],
    ['ints', tensor(new Int32Array([-2147483648, 2147483647]), { shape: [1, 2] })],
    ['pixels', tensor(new Uint8Array([0, 128, 255]))],
    ['mask', tensor([1, 0, 1, 1], { dtype: 'bool', shape: [2, 2] })],
    ['scalar', tensor(new Float32Array([42]), { shape: [] })],
    ['empty', tensor(new Float32Array(0), { shape: [0, 4] })],
    ['random', randn([17, 5])],
  ]);
  const path = join(directory, 'all.safetensors');
  await saveSafetensors(path, tensors, { step: '12', format: 'pt' });
  const loaded = await loadSafetensors(path);
  assert.deepEqual(loaded.metadata, { step: '12', format: 'pt' });
  assert.deepEqual([...loaded.tensors.keys()], [...tensors.keys()]);
  for (const [name, original] of tensors) {
    const copy = loaded.tensors.get(name);
    assert.ok(copy, name);
    assert.equal(copy.dtype, original.dtype, name);
    assert.deepEqual(copy.shape, original.shape, name);
    assert.ok(bytesOf(copy).equals(bytesOf(original)), `${name} bytes differ`);
  }
  // int64 beyond 2^53 survives exactly
  assert.equal((loaded.tensors.get('steps')?.dataSync() as BigInt64Array)[2], 9007199254740993n);
  dispose([tensors, loaded.tensors]);
  assert.equal(memory().tensors, before);
});

test('the written file follows the format: LE length, padded JSON header, offsets', async () => {
  const before = memory().tensors;
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tensor(new BigInt64Array([7n]));
  const path = join(directory, 'layout.safetensors');
  saveSafetensorsSync(path, { a, b }, { note: 'x' });
  const file = readFileSync(path);
  const headerLength = Number(file.readBigUInt64LE(0));
  assert.equal(headerLength % 8, 0);
  const header = JSON.parse(file.toString('utf8', 8, 8 + headerLength)) as Record<string, unknown>;
  assert.deepEqual(header, {
    __metadata__: { note: 'x' },
    a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
    b: { dtype: 'I64', shape: [1], data_offsets: [16, 24] },
  });
  assert.equal(file.byteLength, 8 + headerLength + 24);
  assert.deepEqual(
    Array.from(
      new Float32Array(file.buffer.slice(file.byteOffset + 8 + headerLength, file.byteOffset + 8 + headerLength + 16)),
    ),
    [1, 2, 3, 4],
  );
  assert.equal(file.readBigInt64LE(8 + headerLength + 16), 7n);
  // nothing but the final file is left behind
  assert.deepEqual(
    readdirSync(directory).filter((name) => name.startsWith('layout')),
    ['layout.safetensors'],
  );
  dispose([a, b]);
  assert.equal(memory().tensors, before);
});

test('loads a file built by hand per the spec, including F16 and BF16', () => {
  const before = memory().tensors;
  const data = Buffer.alloc(8 + 4 + 4 + 4 + 2);
  data.writeFloatLE(0.5, 0);
  data.writeFloatLE(-2, 4); // x: F32 [2]
  data.writeInt32LE(-7, 8); // n: I32 [1]
  data.writeUInt16LE(0x3c00, 12);
  data.writeUInt16LE(0xc000, 14); // h: F16 [1.0, -2.0]
  data.writeUInt16LE(0x3fc0, 16);
  data.writeUInt16LE(0x0001, 18); // bf: BF16 [1.5], f: F16 smallest subnormal
  const path = join(directory, 'hand.safetensors');
  writeFileSync(
    path,
    handMade(
      {
        x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        n: { dtype: 'I32', shape: [1, 1], data_offsets: [8, 12] },
        h: { dtype: 'F16', shape: [2], data_offsets: [12, 16] },
        bf: { dtype: 'BF16', shape: [1], data_offsets: [16, 18] },
        f: { dtype: 'F16', shape: [], data_offsets: [18, 20] },
      },
      data,
    ),
  );
  const { tensors, metadata } = loadSafetensorsSync(path);
  assert.deepEqual(metadata, {});
  assert.deepEqual(tensors.get('x')?.toArray(), [0.5, -2]);
  assert.deepEqual(tensors.get('n')?.toArray(), [[-7]]);
  assert.equal(tensors.get('n')?.dtype, 'int32');
  assert.deepEqual(tensors.get('h')?.toArray(), [1, -2]);
  assert.equal(tensors.get('h')?.dtype, 'float32');
  assert.deepEqual(tensors.get('bf')?.toArray(), [1.5]);
  assert.equal(tensors.get('f')?.item(), Math.fround(2 ** -24));
  dispose(tensors);
  assert.equal(memory().tensors, before);
});

test('bad files give clear errors and leak nothing', async () => {
  const before = memory().tensors;
  const write = (name: string, bytes: Uint8Array): string => {
    const path = join(directory, name);
    writeFileSync(path, bytes);
    return path;
  };
  const good = handMade({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8));
  await assert.rejects(
    loadSafetensors(join(directory, 'nope.safetensors')),
    /safetensors file not found: .*nope\.safetensors/,
  );
  assert.throws(() => loadSafetensorsSync(join(directory, 'nope.safetensors')), /not found/);
  assert.throws(() => loadSafetensorsSync(write('tiny', new Uint8Array(5))), /fewer than the 8-byte header length/);
  assert.throws(
    () => loadSafetensorsSync(write('cut-header', good.subarray(0, 20))),
    /header length \d+ exceeds .*truncated/,
  );
  assert.throws(
    () => loadSafetensorsSync(write('cut-data', good.subarray(0, good.byteLength - 1))),
    /"x" ends at byte 8 but the data section has 7 bytes/,
  );
  const huge = Buffer.alloc(16);
  huge.writeBigUInt64LE(1n << 60n);
  assert.throws(() => loadSafetensorsSync(write('huge', huge)), /implausible/);
  const badJson = Buffer.from(good);
  badJson.write('#', 9);
  assert.throws(() => loadSafetensorsSync(write('bad-json', badJson)), /header is not valid JSON/);
  assert.throws(
    () =>
      loadSafetensorsSync(
        write('dtype', handMade({ x: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))),
      ),
    /tensor "x" has dtype F8_E4M3, which mmgen cannot load/,
  );
  assert.throws(
    () =>
      loadSafetensorsSync(
        write('size', handMade({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))),
      ),
    /needs 12 bytes but data_offsets \[0, 8\] give 8/,
  );
  // an error after some tensors were created frees them
  assert.throws(
    () =>
      loadSafetensorsSync(
        write(
          'partial',
          handMade(
            {
              a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
              b: { dtype: 'Q4', shape: [1], data_offsets: [4, 5] },
            },
            new Uint8Array(5),
          ),
        ),
      ),
    /Q4/,
  );
  await assert.rejects(loadSafetensors(directory), /is a directory/);
  const t = tensor([1]);
  await assert.rejects(
    saveSafetensors(join(directory, 'meta.safetensors'), { t }, { step: 3 as unknown as string }),
    /metadata must map strings to strings; "step"/,
  );
  await assert.rejects(
    saveSafetensors(join(directory, 'missing-dir', 'x.safetensors'), { t }),
    /could not write safetensors file/,
  );
  t.dispose();
  assert.throws(() => saveSafetensorsSync(join(directory, 'gone.safetensors'), { t }), /"t" .*disposed/);
  assert.equal(memory().tensors, before);
});

test('half precision: float32 tensors stored as F16 load back within half rounding, other dtypes exact', async () => {
  const before = memory().tensors;
  const weights = randn([64, 33]);
  const steps = tensor(new BigInt64Array([3n, 9007199254740993n]));
  const full = join(directory, 'full.safetensors');
  const half = join(directory, 'half.safetensors');
  await saveSafetensors(full, { weights, steps });
  await saveSafetensors(half, { weights, steps }, undefined, { half: true });
  const header = JSON.parse(
    readFileSync(half).toString('utf8', 8, 8 + Number(readFileSync(half).readBigUInt64LE(0))),
  ) as Record<string, { dtype: string }>;
  assert.equal(header.weights?.dtype, 'F16');
  assert.equal(header.steps?.dtype, 'I64');
  // the float payload halves: 64×33×4 bytes → 64×33×2
  assert.ok(readFileSync(full).byteLength - readFileSync(half).byteLength >= 64 * 33 * 2 - 8);
  const loaded = await loadSafetensors(half);
  const original = weights.dataSync() as Float32Array;
  const copy = loaded.tensors.get('weights')?.dataSync() as Float32Array;
  assert.equal(loaded.tensors.get('weights')?.dtype, 'float32');
  let worst = 0;
  for (let i = 0; i < original.length; i++)
    worst = Math.max(
      worst,
      Math.abs((copy[i] as number) - (original[i] as number)) / Math.max(Math.abs(original[i] as number), 2 ** -14),
    );
  // half has an 11-bit significand: round-to-nearest is within 2^-11 relative (2^-24 absolute below 2^-14)
  assert.ok(worst <= 2 ** -11, `worst relative error ${worst}`);
  assert.ok(worst > 0, 'values were narrowed');
  assert.equal((loaded.tensors.get('steps')?.dataSync() as BigInt64Array)[1], 9007199254740993n);
  // a tensor beyond the half range (±65504) stays float32, exactly
  const big = tensor(new Float32Array([1.1, 70000.5]));
  await saveSafetensors(join(directory, 'big.safetensors'), { big, weights }, undefined, { half: true });
  const bigHeader = readFileSync(join(directory, 'big.safetensors'));
  const kinds = JSON.parse(bigHeader.toString('utf8', 8, 8 + Number(bigHeader.readBigUInt64LE(0)))) as Record<
    string,
    { dtype: string }
  >;
  assert.equal(kinds.big?.dtype, 'F32');
  assert.equal(kinds.weights?.dtype, 'F16');
  const bigLoaded = await loadSafetensors(join(directory, 'big.safetensors'));
  assert.deepEqual([...(bigLoaded.tensors.get('big')?.dataSync() as Float32Array)], [Math.fround(1.1), 70000.5]);
  dispose([weights, steps, big, loaded.tensors, bigLoaded.tensors]);
  assert.equal(memory().tensors, before);
});

test('int8: weight matrices stored in 8 bits with a scale per row load back within half a step; small tensors stay float', async () => {
  const before = memory().tensors;
  // rows of very different magnitude: one scale per row keeps the small rows precise
  const weights = tensor(
    Float32Array.from({ length: 64 * 33 }, (_, i) => Math.sin(i * 1.7) * 10 ** ((Math.floor(i / 33) % 4) - 2)),
    { shape: [64, 33] },
  );
  const bias = randn([64]);
  const zero = tensor(new Float32Array(64 * 32), { shape: [64, 32] });
  const path = join(directory, 'int8.safetensors');
  await saveSafetensors(path, { weights, bias, zero }, undefined, { int8: true, half: true });
  const file = readFileSync(path);
  const header = JSON.parse(file.toString('utf8', 8, 8 + Number(file.readBigUInt64LE(0)))) as Record<
    string,
    { dtype: string; shape: number[] }
  >;
  assert.equal(header.weights?.dtype, 'I8');
  assert.deepEqual(header['weights.int8_scale'], { ...header['weights.int8_scale'], dtype: 'F32', shape: [64] });
  assert.equal(header.bias?.dtype, 'F16', 'a vector keeps float precision (half here)');
  // 64×33 int8 + 64 float32 scales, against 64×33×4 bytes as float32
  assert.ok(file.byteLength < 64 * 33 * 4 * 0.45 + 64 * 32 + 64 * 2 + 2000, `${file.byteLength} bytes`);
  const loaded = await loadSafetensors(path);
  assert.deepEqual([...loaded.tensors.keys()].sort(), ['bias', 'weights', 'zero']);
  const copy = loaded.tensors.get('weights')?.dataSync() as Float32Array;
  const original = weights.dataSync() as Float32Array;
  assert.equal(loaded.tensors.get('weights')?.dtype, 'float32');
  for (let row = 0; row < 64; row++) {
    const values = original.subarray(row * 33, (row + 1) * 33);
    const step = Math.max(...values.map(Math.abs)) / 127;
    for (let column = 0; column < 33; column++) {
      const error = Math.abs((copy[row * 33 + column] as number) - (values[column] as number));
      assert.ok(
        error <= step / 2 + 1e-6 * step,
        `row ${row} column ${column}: error ${error} > half a step ${step / 2}`,
      );
    }
  }
  assert.ok((loaded.tensors.get('zero')?.dataSync() as Float32Array).every((value) => value === 0));
  // an int8 tensor without its scales is refused by name
  const orphan = join(directory, 'orphan.safetensors');
  writeFileSync(
    orphan,
    handMade({ w: { dtype: 'I8', shape: [2, 2], data_offsets: [0, 4] } }, new Uint8Array([1, 2, 3, 4])),
  );
  await assert.rejects(loadSafetensors(orphan), /int8 tensor "w" has no "w.int8_scale" entry.*mmgen export --int8/);
  const badScale = join(directory, 'bad-scale.safetensors');
  writeFileSync(
    badScale,
    handMade(
      {
        w: { dtype: 'I8', shape: [2, 2], data_offsets: [0, 4] },
        'w.int8_scale': { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      },
      new Uint8Array(8),
    ),
  );
  await assert.rejects(loadSafetensors(badScale), /"w.int8_scale" must be F32 \[2\], one scale per row of "w"/);
  dispose([weights, bias, zero, loaded.tensors]);
  assert.equal(memory().tensors, before);
});
