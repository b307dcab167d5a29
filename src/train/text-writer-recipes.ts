// The recipes that write text, for the registry in recipes.ts: captioner (image→text) and transcriber (audio→text).
import { type CaptionerConfig, captionerConfig } from '../models/captioner.js';
import { type TranscriberConfig, transcriberConfig } from '../models/transcriber.js';
import type { RecipeEntry } from './recipes.js';
import { trainCaptioner } from './sessions/captioner.js';
import { trainTranscriber } from './sessions/transcriber.js';

export const TEXT_WRITER_RECIPES: RecipeEntry[] = [
  {
    name: 'captioner',
    description: 'image→text: conv feature-map encoder, GRU decoder with attention, label smoothing; greedy/beam/sampled captions',
    schema: captionerConfig,
    train: async (config, options) => {
      const { result, model } = await trainCaptioner(config as CaptionerConfig, options);
      model.dispose();
      return result;
    },
  },
  {
    name: 'transcriber',
    description: "audio→text: log-mel conv + BiGRU encoder with the captioner's GRU decoder and attention; greedy/beam transcripts",
    schema: transcriberConfig,
    train: async (config, options) => {
      const { result, model } = await trainTranscriber(config as TranscriberConfig, options);
      model.dispose();
      return result;
    },
  },
];
