// A tiny joint-diffusion config over a pictures-and-captions dataset, for tests of the first stage's terms
// (the adversarial and caption-words ones): narrow parts, a one-block score network, no samples or checkpoints.
import { type JointDiffusionConfig, jointDiffusionConfig } from '../../src/models/joint-diffusion.js';
import { trainJointDiffusion } from '../../src/train/sessions/joint-diffusion.js';

export interface TinyStages {
  seed?: number;
  /** training.autoencoder (steps, batchSize, lr and any term). */
  autoencoder: Record<string, unknown>;
  score: { steps: number; batchSize: number };
  trainLimit: number;
  logEvery: number;
  /** model.image and model.audio settings in place of the narrow defaults (a spoken dataset needs audio's). */
  image?: Record<string, unknown>;
  audio?: Record<string, unknown>;
}

export function tinyJointDiffusion(dataset: string, stages: TinyStages): JointDiffusionConfig {
  return jointDiffusionConfig.parse({
    recipe: 'joint-diffusion',
    dataset,
    seed: stages.seed ?? 0,
    model: {
      latentDim: 8,
      featureDim: 32,
      image: stages.image ?? { encoderChannels: 8, decoderChannels: 32 },
      ...(stages.audio ? { audio: stages.audio } : {}),
      text: { embeddingDim: 16, hiddenSize: 32, dropout: 0 },
      score: { width: 64, blocks: 1 },
    },
    training: {
      autoencoder: stages.autoencoder,
      score: stages.score,
      trainLimit: stages.trainLimit,
      logEvery: stages.logEvery,
      sampleEvery: 100000,
      checkpointEvery: 100000,
    },
    sampling: { steps: 5 },
    decoding: { beam: 1 },
  });
}

/** Trains a run and returns one logged loss at every log step (the model disposed). */
export async function trainedTerm(config: JointDiffusionConfig, runDir: string, term: string): Promise<number[]> {
  const logged: Record<string, number>[] = [];
  const { model } = await trainJointDiffusion(config, {
    runDir,
    onEvent: (event) => event.type === 'step' && logged.push(event.losses),
  });
  model.dispose();
  return logged.map((losses) => losses[term]).filter((value) => value !== undefined);
}
