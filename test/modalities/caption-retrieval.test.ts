// Retrieval-augmented captioning: the bank retrieves the nearest distinct captions and never an
// image's own, its memory rows mask padding, padded rows cannot change the decoder's output, and a
// saved bank loads back; no tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttentionDecoder } from '../../src/modalities/text/attention-decoder.js';
import { CaptionRetrieval } from '../../src/modalities/text/caption-retrieval.js';
import { type Tensor, manualSeed, randn, tensor, tidy } from '../../src/tensor/index.js';
import { withoutLeaks } from '../eval/helpers.js';

const PAD = 0;

/** A bank of 1-channel 2×2 images whose keys are their pixels (keySide 2), with the given captions. */
function bankOf(pixels: number[][], captions: number[][], neighbours: number): CaptionRetrieval {
  const retrieval = new CaptionRetrieval({
    vocabularySize: 20,
    dim: 8,
    neighbours,
    bankSize: pixels.length,
    captionLength: 3,
    keySide: 2,
    channels: 1,
    paddingId: PAD,
  });
  const keys = tensor(Float32Array.from(pixels.flat()), { shape: [pixels.length, 4] });
  retrieval.fill(keys, captions);
  keys.dispose();
  return retrieval;
}

const images = (pixels: number[][]): Tensor =>
  tensor(Float32Array.from(pixels.flat()), { shape: [pixels.length, 1, 2, 2] });

test('the bank retrieves the nearest distinct captions, nearest first, and never the excluded one', async () => {
  await withoutLeaks(() => {
    // rows 0 and 1 are twins (one caption, two renderings), as the two vendors of an emoji are
    const pixels = [
      [0, 0, 0, 0],
      [0.1, 0, 0, 0],
      [1, 1, 1, 1],
      [3, 3, 3, 3],
      [-2, -2, -2, -2],
    ];
    const captions = [[5, 6], [5, 6], [7], [8, 9, 10], [11, 12]];
    const retrieval = bankOf(pixels, captions, 2);
    try {
      assert.equal(retrieval.groupOfCaption([5, 6]), 0);
      assert.equal(retrieval.groupOfCaption([8, 9, 10]), 2);
      assert.equal(retrieval.groupOfCaption([13]), -1);
      const query = images([
        [0.02, 0, 0, 0],
        [0.02, 0, 0, 0],
        [2.9, 3, 3, 3],
      ]);
      const keys = retrieval.keyOf(query);
      // row 0: twins 0/1 count once, then the next caption; row 1 excludes its own caption (group 0)
      assert.deepEqual(retrieval.nearest(keys, [-1, 0, -1]), [
        [0, 2],
        [2, 4],
        [3, 2],
      ]);
      const { memory, mask } = retrieval.memoryOf([
        [0, 2],
        [3, 2],
      ]);
      assert.deepEqual(memory.shape, [2, 6, 8]);
      assert.deepEqual(Array.from(mask.toFlatArray(), Boolean), [
        true,
        true,
        false,
        true,
        false,
        false,
        true,
        true,
        true,
        true,
        false,
        false,
      ]);
      for (const t of [query, keys, memory, mask]) t.dispose();
    } finally {
      retrieval.dispose();
    }
  });
});

test('a saved bank loads back into a fresh module and retrieves the same rows', async () => {
  await withoutLeaks(() => {
    const pixels = [
      [0, 0, 0, 0],
      [1, 1, 1, 1],
      [2, 2, 2, 2],
    ];
    const saved = bankOf(pixels, [[3], [4], [5, 6]], 1);
    const loaded = new CaptionRetrieval({
      vocabularySize: 20,
      dim: 8,
      neighbours: 1,
      bankSize: 3,
      captionLength: 3,
      keySide: 2,
      channels: 1,
      paddingId: PAD,
    });
    const state = saved.stateDict();
    loaded.loadStateDict(state);
    const query = images([[1.9, 2, 2, 2]]);
    const keys = loaded.keyOf(query);
    try {
      assert.deepEqual(loaded.nearest(keys), [[2]]);
      assert.equal(loaded.groupOfCaption([5, 6]), 2, 'groups are read from the loaded buffers');
    } finally {
      for (const t of [query, keys]) t.dispose();
      saved.dispose();
      loaded.dispose();
    }
  });
});

test('the decoder attends to retrieved rows but padded rows cannot change its output', async () => {
  await withoutLeaks(() => {
    manualSeed(1);
    const decoder = new AttentionDecoder({
      vocabularySize: 12,
      memoryDim: 8,
      embeddingDim: 4,
      hiddenSize: 16,
      dropout: 0,
    });
    decoder.eval();
    const image = randn([2, 3, 8]);
    const inputs = tensor(new BigInt64Array([1n, 4n, 5n, 1n, 6n, 7n]), { shape: [2, 3] });
    const mask = tensor(new Uint8Array([1, 1, 0, 0, 1, 0, 1, 0]), { shape: [2, 4], dtype: 'bool' });
    const rows = randn([2, 4, 8]);
    // the same real rows, other values in the padded ones
    const repadded = tidy(() => rows.add(randn([2, 4, 8]).mul(mask.logicalNot().float().unsqueeze(2))));
    const changed = tidy(() => rows.add(randn([2, 4, 8])));
    try {
      const outputs = tidy(() => [
        decoder.forward(image, inputs, { memory: rows, mask }),
        decoder.forward(image, inputs, { memory: repadded, mask }),
        decoder.forward(image, inputs, { memory: changed, mask }),
        decoder.forward(image, inputs),
      ]);
      const [base, padded, other, without] = outputs.map((t) => Array.from(t.toFlatArray(), Number));
      for (const t of outputs) t.dispose();
      const largest = (a: number[], b: number[]): number =>
        Math.max(...a.map((value, index) => Math.abs(value - (b[index] as number))));
      assert.ok(largest(base as number[], padded as number[]) < 1e-5, 'padded rows are masked out');
      assert.ok(largest(base as number[], other as number[]) > 1e-3, 'real retrieved rows change the output');
      assert.ok(largest(base as number[], without as number[]) > 1e-3, 'retrieved rows are attended');
    } finally {
      for (const t of [image, inputs, mask, rows, repadded, changed]) t.dispose();
      decoder.dispose();
    }
  });
});
