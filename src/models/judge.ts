// Judges: small CNN classifiers trained on a dataset's real images, one head per judged attribute
// (shape, size, colour… for `shapes`; the class for `fashion-mnist` and `digits`). Their
// predictions score generated images and their penultimate layer is the feature space of FID/KID.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type Tensor, F, cat, linspace, noGrad, stack, tidy } from '../tensor/index.js';
import { BatchNorm2d, Conv2d, Linear, Module, ModuleList, ReLU, Sequential } from '../nn/index.js';
import { fitImages } from '../modalities/image/fit.js';

export const JUDGE_WEIGHTS_FILE = 'judge.safetensors';
export const JUDGE_INFO_FILE = 'judge.json';

export interface JudgeArchitecture {
  /** Image channels the network reads (1 or 3); other inputs are converted. */
  channels: 1 | 3;
  /** Square side every input is resized to: 64 (with a stride-2 stem) or 32. */
  inputSize: 32 | 64;
  /** Channel widths: the stem, then three conv blocks that each halve the map (to 4×4). */
  widths: [number, number, number, number];
  /** Size of the feature layer (penultimate), used for FID/KID. */
  features: number;
  /**
   * Learned keypoints whose soft-argmax (x, y) on the first block's 32×32 map joins the features:
   * max pooling blurs where a shape is, and position is judged to within a pixel or two. 0 = none.
   */
  keypoints: number;
}

export const DEFAULT_WIDTHS: JudgeArchitecture['widths'] = [16, 32, 64, 128];
export const DEFAULT_FEATURES = 128;
export const DEFAULT_KEYPOINTS = 16;

const convBlock = (inChannels: number, outChannels: number, stride = 1): Sequential =>
  new Sequential(
    new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false }),
    new BatchNorm2d(outChannels),
    new ReLU(),
  );

/** The network: conv trunk → flattened 4×4 map (+ keypoint positions) → feature layer (ReLU) → one linear head per attribute. */
export class JudgeNetwork extends Module {
  readonly stem: Sequential;
  readonly blocks: ModuleList<Sequential>;
  readonly keypoints: Conv2d | null;
  readonly embedding: Sequential;
  readonly heads: ModuleList<Linear>;
  /** [side², 2] x/y in [-1, 1] of every cell of the keypoint map. */
  private readonly grid: Tensor | null;

  constructor(
    readonly architecture: JudgeArchitecture,
    headSizes: number[],
  ) {
    super();
    const [stem, ...widths] = architecture.widths;
    this.stem = this.registerModule(
      'stem',
      convBlock(architecture.channels, stem, architecture.inputSize === 64 ? 2 : 1),
    );
    const blocks: Sequential[] = [];
    let previous = stem;
    for (const width of widths) {
      blocks.push(convBlock(previous, width));
      previous = width;
    }
    this.blocks = this.registerModule('blocks', new ModuleList(blocks));
    const count = architecture.keypoints;
    this.keypoints = count > 0 ? this.registerModule('keypoints', new Conv2d(widths[0] as number, count, 1)) : null;
    const side = 32;
    this.grid =
      count > 0
        ? this.registerBuffer(
            'keypoint_grid',
            tidy(() => {
              const ramp = linspace(-1, 1, side);
              return stack([ramp.unsqueeze(0).expand(side, side), ramp.unsqueeze(1).expand(side, side)], 2)
                .reshape(side * side, 2)
                .contiguous();
            }),
          )
        : null;
    // a flattened 4×4 map rather than global pooling: position is one of the judged attributes
    this.embedding = this.registerModule(
      'embedding',
      new Sequential(new Linear(previous * 16 + 2 * count, architecture.features), new ReLU()),
    );
    this.heads = this.registerModule(
      'heads',
      new ModuleList(headSizes.map((size) => new Linear(architecture.features, size))),
    );
  }

  /** Features [N, features] and logits per head, from images already prepared (see prepareImages). */
  forward(x: Tensor): { features: Tensor; logits: Tensor[] } {
    const features = tidy(() => {
      let map = this.stem.forward(x);
      let positions: Tensor | undefined;
      [...this.blocks].forEach((block, index) => {
        map = block.forward(map);
        if (index === 0 && this.keypoints && this.grid) {
          // soft-argmax: each keypoint's softmax over the 32×32 map weights the cell coordinates
          const attention = this.keypoints.forward(map).flatten(2).softmax(2);
          positions = attention.matmul(this.grid).flatten(1);
        }
        map = F.maxPool2d(map, 2);
      });
      const flat = map.flatten(1);
      return this.embedding.forward(positions ? cat([flat, positions], 1) : flat);
    });
    return { features, logits: [...this.heads].map((head) => head.forward(features)) };
  }
}

function checkShape(images: Tensor): [number, number, number, number] {
  if (images.rank !== 4)
    throw new Error(`judge input must be images [count, channels, height, width], got [${images.shape.join(', ')}]`);
  const shape = images.shape as [number, number, number, number];
  if (shape[1] !== 1 && shape[1] !== 3) throw new Error(`judge input must have 1 or 3 channels, got ${shape[1]}`);
  return shape;
}

/** Converts [N, C, H, W] images in [-1, 1] to what the network reads: its channel count and input size. */
export function prepareImages(images: Tensor, architecture: JudgeArchitecture): Tensor {
  checkShape(images);
  return fitImages(images, { channels: architecture.channels, size: architecture.inputSize });
}

const judgeInfoSchema = z.object({
  format: z.literal(1),
  kind: z.literal('mmgen-judge'),
  mmgenVersion: z.string(),
  createdAt: z.string(),
  dataset: z.object({
    dir: z.string(),
    name: z.string(),
    builder: z.string(),
    description: z.string(),
    seed: z.number(),
    options: z.record(z.string(), z.unknown()),
    mmgenVersion: z.string(),
    splits: z.object({ train: z.number(), val: z.number(), test: z.number() }),
  }),
  /** Judged attributes in head order, each with its values in label order. */
  attributes: z.record(z.string(), z.array(z.string()).min(2)),
  image: z.object({ channels: z.number().int(), height: z.number().int(), width: z.number().int() }),
  architecture: z.object({
    channels: z.union([z.literal(1), z.literal(3)]),
    inputSize: z.union([z.literal(32), z.literal(64)]),
    widths: z.tuple([
      z.number().int().positive(),
      z.number().int().positive(),
      z.number().int().positive(),
      z.number().int().positive(),
    ]),
    features: z.number().int().positive(),
    keypoints: z.number().int().nonnegative(),
  }),
  training: z.object({
    steps: z.number().int(),
    batchSize: z.number().int(),
    learningRate: z.number(),
    seed: z.number().int(),
    trainSamples: z.number().int(),
    seconds: z.number(),
    augmentation: z
      .object({ flip: z.boolean(), shift: z.number().int().nonnegative() })
      .default({ flip: false, shift: 0 }),
  }),
  /** Held-out real accuracy per attribute, on evaluation.split. */
  evaluation: z.object({ split: z.enum(['train', 'val', 'test']), samples: z.number().int() }),
  /**
   * Root-mean-square of the raw feature layer on real training images; features() divides by it, so
   * real features have unit mean square and KID's cubic kernel sees values of the size it was made for.
   */
  featureScale: z.number().positive(),
  accuracy: z.record(z.string(), z.number()),
  /** Accuracy a head needs before its verdicts count. */
  threshold: z.number(),
  trusted: z.record(z.string(), z.boolean()),
});
export type JudgeInfo = z.infer<typeof judgeInfoSchema>;

/** The accuracy a judge head must reach on real held-out data before its verdicts are trusted. */
export function trustThreshold(builder: string): number {
  if (builder === 'shapes') return 0.99;
  if (builder === 'digits') return 0.95;
  return 0.9;
}

export interface JudgeOutput {
  /** Predicted value index per attribute, one per image. */
  predictions: Map<string, Int32Array>;
  /** [N, features] float32 when asked for; the caller disposes it. */
  features?: Tensor;
}

/** A trained judge: the network plus what it judges and how well it did on real data. */
export class Judge {
  constructor(
    readonly network: JudgeNetwork,
    readonly info: JudgeInfo,
  ) {
    network.eval();
  }

  get attributeNames(): string[] {
    return Object.keys(this.info.attributes);
  }

  /** Heads whose held-out accuracy is below the threshold. */
  untrusted(): string[] {
    return this.attributeNames.filter((name) => this.info.trusted[name] !== true);
  }

  /** Judges images ([N, C, H, W], float in [-1, 1], or uint8 0..255) in batches, without gradients. */
  run(images: Tensor, options: { features?: boolean; batchSize?: number } = {}): JudgeOutput {
    const [count] = checkShape(images);
    const batchSize = options.batchSize ?? 256;
    const names = this.attributeNames;
    const predictions = new Map(names.map((name) => [name, new Int32Array(count)]));
    const featureParts: Tensor[] = [];
    const wasTraining = this.network.training;
    this.network.eval();
    try {
      noGrad(() => {
        for (let start = 0; start < count; start += batchSize) {
          const length = Math.min(batchSize, count - start);
          const part = tidy(() => {
            let batch = images.narrow(0, start, length);
            if (batch.dtype === 'uint8') batch = batch.float().div(127.5).sub(1);
            else batch = checkRange(batch);
            const { features, logits } = this.network.forward(prepareImages(batch, this.info.architecture));
            logits.forEach((logit, head) => {
              const indices = logit.argmax(1).to('int32').dataSync() as Int32Array;
              predictions.get(names[head] as string)?.set(indices, start);
            });
            return options.features ? features.div(this.info.featureScale) : undefined;
          });
          if (part) featureParts.push(part);
        }
      });
    } catch (error) {
      for (const part of featureParts) part.dispose();
      throw error;
    } finally {
      this.network.train(wasTraining);
    }
    if (!options.features) return { predictions };
    const features = featureParts.length === 1 ? (featureParts[0] as Tensor) : cat(featureParts, 0);
    if (featureParts.length > 1) for (const part of featureParts) part.dispose();
    return { predictions, features };
  }

  /** Penultimate-layer features [N, features] divided by featureScale, for FID/KID; the caller disposes them. */
  features(images: Tensor, options: { batchSize?: number } = {}): Tensor {
    return this.run(images, { ...options, features: true }).features as Tensor;
  }

  /** Writes judge.safetensors and judge.json into dir (each through a temporary name). */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await this.network.save(join(dir, JUDGE_WEIGHTS_FILE), {
      format: 'mmgen-judge',
      attributes: JSON.stringify(this.info.attributes),
    });
    const path = join(dir, JUDGE_INFO_FILE);
    const temporary = `${path}.tmp-${process.pid}`;
    await writeFile(temporary, `${JSON.stringify(this.info, null, 2)}\n`);
    await rename(temporary, path);
  }

  /** Loads a judge folder written by save(). */
  static async load(dir: string): Promise<Judge> {
    const path = join(dir, JUDGE_INFO_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new Error(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? `${dir} has no ${JUDGE_INFO_FILE}; train a judge with \`mmgen eval train-judge DATASET --out ${dir}\``
          : `cannot read ${path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new Error(`${path} is not valid JSON (${(error as Error).message}); retrain the judge`, { cause: error });
    }
    const parsed = judgeInfoSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(
        `${path} is not a judge description: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
      );
    }
    const info = parsed.data;
    const network = new JudgeNetwork(
      info.architecture,
      Object.values(info.attributes).map((values) => values.length),
    );
    try {
      await network.load(join(dir, JUDGE_WEIGHTS_FILE));
    } catch (error) {
      network.dispose();
      throw error;
    }
    return new Judge(network, info);
  }

  dispose(): void {
    this.network.dispose();
  }
}

/**
 * Rejects images on another scale (0..255 floats are a common mistake) and clamps small overshoots
 * (a decoder without a final tanh) to [-1, 1], as saving them as PNG would.
 */
function checkRange(batch: Tensor): Tensor {
  const low = batch.min().item();
  const high = batch.max().item();
  if (!Number.isFinite(low) || !Number.isFinite(high)) throw new Error('judge input contains NaN or infinite values');
  if (low < -1.5 || high > 1.5)
    throw new Error(
      `judge input must be float images in [-1, 1], got values in [${low.toFixed(3)}, ${high.toFixed(3)}]; scale them with x / 127.5 - 1`,
    );
  return low < -1 || high > 1 ? batch.clamp(-1, 1) : batch;
}
