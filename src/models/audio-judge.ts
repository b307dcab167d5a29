// The audio judge: WaveGAN's "inception" classifier protocol (Donahue et al. 2019) — 128-bin log-mel
// features of a clip, four conv blocks (conv, batch norm, ReLU, 2×2 max pool), a feature layer and a
// class head, trained on the real clips of a dataset. Its class probabilities give accuracy and the
// inception score of generated audio; its feature layer is the space of the Fréchet distance.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../data/files.js';
import { BatchNorm2d, Conv2d, Linear, Module, ModuleList, ReLU, Sequential } from '../nn/index.js';
import { logMelSpectrogram } from '../modalities/audio/index.js';
import { type Tensor, F, cat, noGrad, tidy } from '../tensor/index.js';

export const AUDIO_JUDGE_KIND = 'mmgen-audio-judge';
const WEIGHTS_FILE = 'judge.safetensors';
const INFO_FILE = 'judge.json';

/** Log-mel features as the WaveGAN classifier reads them: 128 mel bands. */
export const audioFeatureSchema = z.object({
  sampleRate: z.number().int().positive(),
  samples: z.number().int().positive(),
  nFft: z.number().int().positive(),
  hopLength: z.number().int().positive(),
  nMels: z.number().int().positive(),
  /** Natural-log floor of the mel magnitude. */
  floor: z.number(),
  /** Mean and standard deviation of the training features (one scalar each), for input scaling. */
  mean: z.number(),
  std: z.number().positive(),
});
export type AudioFeatureSettings = z.infer<typeof audioFeatureSchema>;

export const audioJudgeInfoSchema = z.object({
  format: z.literal(1),
  kind: z.literal(AUDIO_JUDGE_KIND),
  mmgenVersion: z.string(),
  createdAt: z.string(),
  dataset: z.object({
    dir: z.string(),
    name: z.string(),
    builder: z.string(),
    seed: z.number(),
    splits: z.object({ train: z.number(), val: z.number(), test: z.number() }),
  }),
  /** The judged attribute (e.g. digit) and its classes in label order. */
  attribute: z.string(),
  classes: z.array(z.string()).min(2),
  features: audioFeatureSchema,
  architecture: z.object({
    widths: z.tuple([
      z.number().int().positive(),
      z.number().int().positive(),
      z.number().int().positive(),
      z.number().int().positive(),
    ]),
    features: z.number().int().positive(),
  }),
  training: z.object({
    steps: z.number().int(),
    batchSize: z.number().int(),
    learningRate: z.number(),
    seed: z.number().int(),
    trainSamples: z.number().int(),
    seconds: z.number(),
  }),
  evaluation: z.object({ split: z.enum(['train', 'val', 'test']), samples: z.number().int() }),
  /** Root-mean-square of the raw feature layer on real training clips; features() divides by it. */
  featureScale: z.number().positive(),
  accuracy: z.number(),
  threshold: z.number(),
  trusted: z.boolean(),
});
export type AudioJudgeInfo = z.infer<typeof audioJudgeInfoSchema>;

/** Held-out real accuracy the audio judge needs before its verdicts count (the issue's bar). */
export const AUDIO_JUDGE_THRESHOLD = 0.95;

export type AudioJudgeArchitecture = AudioJudgeInfo['architecture'];

const convBlock = (inChannels: number, outChannels: number): Sequential =>
  new Sequential(
    new Conv2d(inChannels, outChannels, 3, { padding: 1, bias: false }),
    new BatchNorm2d(outChannels),
    new ReLU(),
  );

/** Four conv blocks (each halving the map), a 4×4 average pool, a feature layer (ReLU) and a class head. */
export class AudioJudgeNetwork extends Module {
  readonly blocks: ModuleList<Sequential>;
  readonly embedding: Sequential;
  readonly head: Linear;

  constructor(
    readonly architecture: AudioJudgeArchitecture,
    classes: number,
  ) {
    super();
    const blocks: Sequential[] = [];
    let previous = 1;
    for (const width of architecture.widths) {
      blocks.push(convBlock(previous, width));
      previous = width;
    }
    this.blocks = this.registerModule('blocks', new ModuleList(blocks));
    this.embedding = this.registerModule(
      'embedding',
      new Sequential(new Linear(previous * 16, architecture.features), new ReLU()),
    );
    this.head = this.registerModule('head', new Linear(architecture.features, classes));
  }

  /** Scaled log-mel [N, 1, nMels, frames] → features [N, features] and logits [N, classes]. */
  forward(x: Tensor): { features: Tensor; logits: Tensor } {
    const features = tidy(() => {
      let map = x;
      for (const block of this.blocks) map = F.maxPool2d(block.forward(map), 2);
      return this.embedding.forward(F.adaptiveAvgPool2d(map, 4).flatten(1));
    });
    return { features, logits: this.head.forward(features) };
  }
}

/** Waveforms [N, samples] → the judge's scaled log-mel input [N, 1, nMels, frames]. */
export function audioJudgeInput(waveforms: Tensor, settings: AudioFeatureSettings): Tensor {
  if (waveforms.rank !== 2 || waveforms.shape[1] !== settings.samples) {
    throw new Error(
      `the audio judge reads clips of ${settings.samples} samples at ${settings.sampleRate} Hz as [count, ${settings.samples}], got [${waveforms.shape.join(', ')}]`,
    );
  }
  return tidy(() =>
    logMelSpectrogram(waveforms, {
      sampleRate: settings.sampleRate,
      nFft: settings.nFft,
      hopLength: settings.hopLength,
      nMels: settings.nMels,
      scale: 'ln',
      floor: Math.exp(settings.floor),
    })
      .sub(settings.mean)
      .div(settings.std)
      .unsqueeze(1),
  );
}

export interface AudioJudgeOutput {
  /** Class probabilities [N, classes] (float64); the caller disposes them. */
  probabilities: Tensor;
  predictions: Int32Array;
  /** [N, features] divided by featureScale, when asked for; the caller disposes them. */
  features?: Tensor;
}

export class AudioJudge {
  constructor(
    readonly network: AudioJudgeNetwork,
    readonly info: AudioJudgeInfo,
  ) {
    network.eval();
  }

  /** Judges waveforms [N, samples] in batches, without gradients. */
  run(waveforms: Tensor, options: { features?: boolean; batchSize?: number } = {}): AudioJudgeOutput {
    const count = waveforms.shape[0] ?? 0;
    const batchSize = options.batchSize ?? 128;
    const probabilityParts: Tensor[] = [];
    const featureParts: Tensor[] = [];
    const predictions = new Int32Array(count);
    try {
      noGrad(() => {
        for (let start = 0; start < count; start += batchSize) {
          const length = Math.min(batchSize, count - start);
          const [probabilities, features] = tidy((): [Tensor, Tensor | undefined] => {
            const batch = waveforms.narrow(0, start, length).float();
            if (!batch.isfinite().all().item()) throw new Error('audio judge input contains NaN or infinite samples');
            const output = this.network.forward(audioJudgeInput(batch, this.info.features));
            predictions.set(output.logits.argmax(1).to('int32').dataSync() as Int32Array, start);
            return [
              output.logits.to('float64').softmax(1),
              options.features ? output.features.div(this.info.featureScale) : undefined,
            ];
          });
          probabilityParts.push(probabilities);
          if (features) featureParts.push(features);
        }
      });
      const join = (parts: Tensor[]): Tensor => (parts.length === 1 ? (parts[0] as Tensor).clone() : cat(parts, 0));
      return {
        probabilities: join(probabilityParts),
        predictions,
        ...(options.features ? { features: join(featureParts) } : {}),
      };
    } finally {
      for (const part of [...probabilityParts, ...featureParts]) part.dispose();
    }
  }

  async save(dir: string): Promise<void> {
    await this.network.save(join(dir, WEIGHTS_FILE), { format: AUDIO_JUDGE_KIND });
    await writeFileAtomic(join(dir, INFO_FILE), `${JSON.stringify(this.info, null, 2)}\n`);
  }

  static async load(dir: string): Promise<AudioJudge> {
    const path = join(dir, INFO_FILE);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new Error(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? `${dir} has no ${INFO_FILE}; train an audio judge with \`mmgen eval train-judge DATASET --out ${dir}\``
          : `cannot read ${path}: ${(error as Error).message}; retrain the judge`,
        { cause: error },
      );
    }
    const parsed = audioJudgeInfoSchema.safeParse(raw);
    if (!parsed.success)
      throw new Error(
        `${path} is not an audio judge: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
      );
    const network = new AudioJudgeNetwork(parsed.data.architecture, parsed.data.classes.length);
    try {
      await network.load(join(dir, WEIGHTS_FILE));
    } catch (error) {
      network.dispose();
      throw error;
    }
    return new AudioJudge(network, parsed.data);
  }

  dispose(): void {
    this.network.dispose();
  }
}
