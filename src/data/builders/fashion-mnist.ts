// `fashion-mnist`: Zalando's Fashion-MNIST from Debian's dataset-fashion-mnist (IDX files, gzip),
// 28×28 grey, the official 60k/10k train/test split with validation carved from train (seeded),
// captions from the class names through a few templates.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { progressReporter } from '../events.js';
import type { ManifestEntry, Split } from '../format.js';
import { runPool } from '../pool.js';
import { defineBuilder, sampleFile, writePng } from './common.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_CLASSES = [
  't-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle boot',
] as const;
const CLASS_PHRASES = [
  'a t-shirt',
  'a pair of trousers',
  'a pullover',
  'a dress',
  'a coat',
  'a sandal',
  'a shirt',
  'a sneaker',
  'a bag',
  'an ankle boot',
];
export const CAPTION_TEMPLATES = [
  '{}',
  'a photo of {}',
  'a picture of {}',
  'a black and white photo of {}',
  'a small photo of {}',
];

const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

interface Idx {
  dims: number[];
  data: Uint8Array;
}

/** Reads a gzipped IDX file (big-endian header: magic 0x0000 0x08 rank, then rank uint32 sizes). */
export async function readIdx(path: string): Promise<Idx> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${path} is missing; install Fashion-MNIST with \`apt-get install -y dataset-fashion-mnist\``
        : `cannot read ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let raw: Buffer;
  try {
    raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  } catch (error) {
    throw new Error(
      `cannot decompress ${path}: ${(error as Error).message}; reinstall it with \`apt-get install --reinstall -y dataset-fashion-mnist\``,
      { cause: error },
    );
  }
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08)
    throw new Error(`${path} is not an unsigned-byte IDX file`);
  const rank = raw[3] ?? 0;
  const dims = Array.from({ length: rank }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (raw.length < offset + size) throw new Error(`${path} is truncated: ${raw.length - offset} of ${size} bytes`);
  return { dims, data: new Uint8Array(raw.buffer, raw.byteOffset + offset, size) };
}

export function fashionCaption(label: number, template: number): string {
  return (CAPTION_TEMPLATES[template] ?? '{}').replace('{}', CLASS_PHRASES[label] ?? '');
}

const options = z.object({
  count: z.coerce
    .number()
    .int()
    .min(1)
    .max(70000)
    .default(70000)
    .describe('total samples (train and test shrink in proportion, 6:1)'),
  val: z.coerce
    .number()
    .min(0)
    .max(0.5)
    .default(1 / 12)
    .describe('fraction of the official training set used for validation (1/12: 5 000 of 60 000)'),
  dir: z.string().default(FASHION_MNIST_DIR).describe('folder with the four IDX .gz files'),
});

export const fashionMnistBuilder = defineBuilder({
  name: 'fashion-mnist',
  summary: 'Fashion-MNIST 28×28 grey (Debian dataset-fashion-mnist), captions from class names',
  options,
  async build(context, opts) {
    if (!existsSync(opts.dir))
      throw new Error(
        `${opts.dir} is missing; install Fashion-MNIST with \`apt-get install -y dataset-fashion-mnist\``,
      );
    const [trainImages, trainLabels, testImages, testLabels] = (await Promise.all(
      [FILES.trainImages, FILES.trainLabels, FILES.testImages, FILES.testLabels].map((file) =>
        readIdx(join(opts.dir, file)),
      ),
    )) as [Idx, Idx, Idx, Idx];
    for (const [images, labels, name] of [
      [trainImages, trainLabels, 'train'],
      [testImages, testLabels, 'test'],
    ] as const) {
      if (
        images.dims.length !== 3 ||
        images.dims[1] !== 28 ||
        images.dims[2] !== 28 ||
        labels.dims[0] !== images.dims[0]
      ) {
        throw new Error(
          `the ${name} IDX files in ${opts.dir} do not hold 28×28 images with one label each (${images.dims.join('×')} images, ${labels.dims.join('×')} labels)`,
        );
      }
    }
    const trainTotal = trainImages.dims[0] ?? 0;
    const testTotal = testImages.dims[0] ?? 0;
    const trainCount = Math.min(trainTotal, Math.round((opts.count * trainTotal) / (trainTotal + testTotal)));
    const testCount = Math.min(testTotal, opts.count - trainCount);
    // validation: a seeded choice among the used training images
    const order = context.random.fork('val').shuffle(Array.from({ length: trainCount }, (_, i) => i));
    const isVal = new Set(order.slice(0, Math.round(trainCount * opts.val)));
    const sources: { images: Idx; labels: Idx; index: number; split: Split }[] = [
      ...Array.from({ length: trainCount }, (_, index) => ({
        images: trainImages,
        labels: trainLabels,
        index,
        split: (isVal.has(index) ? 'val' : 'train') as Split,
      })),
      ...Array.from({ length: testCount }, (_, index) => ({
        images: testImages,
        labels: testLabels,
        index,
        split: 'test' as Split,
      })),
    ];
    const total = sources.length;
    const entries: ManifestEntry[] = sources.map((source, index) => {
      const label = source.labels.data[source.index] ?? 0;
      if (label >= FASHION_CLASSES.length)
        throw new Error(`label ${label} at ${source.index} in ${opts.dir} is not a Fashion-MNIST class (0-9)`);
      const template = context.random.fork('template', index).int(CAPTION_TEMPLATES.length);
      return {
        id: `fashion-mnist-${source.split === 'test' ? 'test' : 'train'}-${String(source.index).padStart(5, '0')}`,
        split: source.split,
        text: fashionCaption(label, template),
        image: sampleFile('images', index, total, 'png'),
        attributes: { class: FASHION_CLASSES[label] as string },
      };
    });
    const report = progressReporter(context.onEvent, total, 'writing Fashion-MNIST images');
    await runPool(
      total,
      Math.max(2, context.concurrency),
      async (index) => {
        const source = sources[index] as (typeof sources)[number];
        const pixels = source.images.data.subarray(source.index * 784, (source.index + 1) * 784);
        await writePng(context, (entries[index] as ManifestEntry).image as string, {
          data: Uint8Array.from(pixels),
          height: 28,
          width: 28,
          channels: 1,
        });
      },
      report,
      context.signal,
    );
    return {
      entries,
      description: 'Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 28×28 grey clothing images in 10 classes',
      image: { width: 28, height: 28, channels: 1, format: 'png' },
      attributes: { class: [...FASHION_CLASSES] },
      provenance: {
        sources: Object.values(FILES)
          .map((file) => join(opts.dir, file))
          .concat('Debian package dataset-fashion-mnist'),
        licence: 'MIT (Zalando Research)',
      },
    };
  },
});
