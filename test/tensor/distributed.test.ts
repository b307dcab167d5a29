// The c10d binding in one process (a world of one: rank 0 hosts the store and is the whole group):
// all-reduce over several buckets leaves values (summed over one rank) and shapes in place, averaging
// scales, broadcast and barrier return, nothing leaks, and misuse is a clear error. Two-process
// behaviour is tested in test/train/distributed.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroup, parseMasterAddress, memory, tensor } from '../../src/tensor/index.js';
import { freeLoopbackPort } from '../../src/cli/commands/train-workers.js';

test('a world of one: all-reduce in place over several buckets, broadcast, barrier, no leaks; a destroyed group is refused', async () => {
  const group = ProcessGroup.init({
    rank: 0,
    worldSize: 1,
    master: { host: '127.0.0.1', port: await freeLoopbackPort() },
    timeoutSeconds: 10,
  });
  const values = [
    tensor([
      [1, 2],
      [3, 4],
    ]),
    tensor([5, 6, 7]),
    tensor([8], { dtype: 'float64' }),
    tensor([9, 10], { dtype: 'int64' }),
  ];
  const before = memory().tensors;
  // 32-byte buckets: the two float32 tensors (28 bytes) share one; float64 and int64 get their own
  assert.equal(group.allReduce(values, { bucketBytes: 32 }), 3);
  assert.equal(group.allReduce(values, { bucketBytes: 8 }), 4);
  assert.deepEqual(values[0]?.toArray(), [
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(values[1]?.toArray(), [5, 6, 7]);
  group.allReduce(values.slice(0, 2), { average: true });
  assert.deepEqual(values[1]?.toArray(), [5, 6, 7]);
  group.broadcast(values, 0);
  group.barrier();
  assert.equal(group.stats.allReduceCalls, 3);
  assert.equal(memory().tensors, before, 'collectives leaked tensors');
  assert.throws(() => group.broadcast(values, 1), /broadcast root must be in 0\.\.0, got 1/);
  group.destroy();
  assert.throws(() => group.allReduce(values), /this process group was destroyed/);
  for (const value of values) value.dispose();
});

test('bad group settings are clear errors before anything connects', () => {
  const master = { host: '127.0.0.1', port: 1 };
  assert.throws(
    () => ProcessGroup.init({ rank: 2, worldSize: 2, master }),
    /the rank must be in 0\.\.1 for a world size of 2, got 2/,
  );
  assert.throws(
    () => ProcessGroup.init({ rank: 0, worldSize: 0, master }),
    /the world size must be a whole number >= 1, got 0/,
  );
  assert.throws(() => parseMasterAddress('10.0.0.5'), /--master must be HOST:PORT/);
  assert.throws(() => parseMasterAddress('10.0.0.5:70000'), /port in 1\.\.65535/);
  assert.deepEqual(parseMasterAddress('10.0.0.5:29500'), { host: '10.0.0.5', port: 29500 });
  assert.deepEqual(parseMasterAddress('[::1]:29500'), { host: '::1', port: 29500 });
});
