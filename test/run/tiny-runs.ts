// Tiny runs of every recipe, trained through the one registry (as `mmgen train` does), for the tests of
// loadRun: a level-1 shapes set (pictures + captions) and a set of three tones (clips + words).
import { join } from 'node:path';
import { buildDataset } from '../../src/data/builders/index.js';
import { resolveConfig } from '../../src/train/recipes.js';
import { tinyToneDataset } from '../models/audio-helpers.js';

const text = { textEmbedding: 8, textHidden: 16, conditionDim: 16 };
const spectrogram = { nFft: 512, hopLength: 256, size: 16, griffinLimIterations: 4 };
const loop = { logEvery: 1, sampleEvery: 100000, checkpointEvery: 100000 };

/** A tiny config of each recipe over `shapes` or `tones`. */
export function tinyConfigs(shapes: string, tones: string): Record<string, Record<string, unknown>> {
  return {
    'text2image-gan': {
      recipe: 'text2image-gan',
      dataset: shapes,
      seed: 1,
      model: { ...text, noiseDim: 8, generatorChannels: 16, discriminatorChannels: 8 },
      training: { steps: 3, batchSize: 8, ...loop },
    },
    'text2image-vae': {
      recipe: 'text2image-vae',
      dataset: shapes,
      seed: 1,
      model: { ...text, latentDim: 8, decoderChannels: 16, encoderChannels: 8 },
      training: { steps: 3, batchSize: 8, ...loop },
    },
    'text2audio-gan': {
      recipe: 'text2audio-gan',
      dataset: tones,
      seed: 1,
      spectrogram,
      model: {
        ...text,
        noiseDim: 8,
        generatorChannels: 16,
        discriminatorChannels: 8,
        minibatchStd: 0,
        classifierChannels: 0,
      },
      training: { steps: 3, batchSize: 8, diffAugment: '', ...loop },
    },
    'text2audio-vae': {
      recipe: 'text2audio-vae',
      dataset: tones,
      seed: 1,
      spectrogram,
      model: { ...text, latentDim: 8, decoderChannels: 16, encoderChannels: 8 },
      training: { steps: 3, batchSize: 8, ...loop },
    },
    captioner: {
      recipe: 'captioner',
      dataset: shapes,
      seed: 1,
      model: { imageSize: 32, encoderChannels: 8, featureDim: 16, embeddingDim: 8, hiddenSize: 16, dropout: 0 },
      training: { steps: 3, batchSize: 8, ...loop },
      decoding: { beam: 2, maxLength: 6 },
    },
    transcriber: {
      recipe: 'transcriber',
      dataset: tones,
      seed: 1,
      model: { mels: 16, nFft: 256, encoderChannels: 4, featureDim: 16, embeddingDim: 8, hiddenSize: 16, dropout: 0 },
      training: { steps: 3, batchSize: 8, ...loop },
      decoding: { beam: 1, maxLength: 3 },
    },
    'joint-vae': {
      recipe: 'joint-vae',
      dataset: shapes,
      seed: 1,
      model: {
        latentDim: 4,
        featureDim: 16,
        image: { encoderChannels: 4, decoderChannels: 16 },
        text: { embeddingDim: 8, hiddenSize: 16, dropout: 0 },
      },
      training: { steps: 3, batchSize: 8, ...loop },
      decoding: { beam: 1, maxLength: 6 },
    },
    'joint-diffusion': {
      recipe: 'joint-diffusion',
      dataset: shapes,
      seed: 1,
      model: {
        latentDim: 4,
        featureDim: 16,
        image: { encoderChannels: 4, decoderChannels: 16 },
        text: { embeddingDim: 8, hiddenSize: 16, dropout: 0 },
        score: { width: 32, blocks: 1 },
      },
      training: {
        autoencoder: { steps: 2, batchSize: 8, lr: 1e-3 },
        score: { steps: 2, batchSize: 8, lr: 1e-3 },
        ...loop,
      },
      sampling: { steps: 3 },
      decoding: { beam: 1, maxLength: 6 },
    },
  };
}

export interface TinyData {
  shapes: string;
  tones: string;
  cleanup(): Promise<void>;
}

export async function tinyData(root: string): Promise<TinyData> {
  const shapes = join(root, 'shapes');
  await buildDataset({
    builder: 'shapes',
    out: shapes,
    seed: 2,
    options: { level: 1, count: 24, val: 0.1, test: 0.1 },
  });
  const tones = await tinyToneDataset(30, 1);
  return { shapes, tones: tones.dir, cleanup: tones.cleanup };
}

/** Trains `config` into `runDir` through the registry, as `mmgen train` would. */
export async function trainTiny(config: Record<string, unknown>, runDir: string): Promise<void> {
  await resolveConfig(config, 'tiny config').train({ runDir });
}
