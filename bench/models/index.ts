// The mmgen side of each reference model, loaded on demand (one model per worker process).
import type { ModelName } from '../harness/protocol.js';
import type { BuildBenchModel } from './types.js';

export const modelLoaders: Record<ModelName, () => Promise<BuildBenchModel>> = {
  dcgan: async () => (await import('./dcgan.js')).buildDcgan,
  gru: async () => (await import('./gru.js')).buildGru,
  transformer: async () => (await import('./transformer.js')).buildTransformer,
  vae: async () => (await import('./vae.js')).buildVae,
  score: async () => (await import('./score.js')).buildScore,
  ddim: async () => (await import('./score.js')).buildDdim,
};
