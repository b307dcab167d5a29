// The calls of text→image and text→audio runs: prompts in, pictures or clips out (the same seed gives the same bytes).
import { spectrogramToImage } from '../../modalities/audio/index.js';
import { tidy } from '../../tensor/index.js';
import type { TextToAudioModel } from '../text-to-audio.js';
import type { GenerationSetup } from '../generation-weights.js';
import type { TextToImageModel } from '../text-to-image.js';
import { audioOutput, imageOutputs, repeatPrompts } from './outputs.js';
import type { GenerateOptions, RunCalls } from './types.js';

const setupLines = (setup: GenerationSetup): Pick<RunCalls, 'generation' | 'notice'> => ({
  ...(setup.generation ? { generation: setup.generation } : {}),
  ...(setup.notice ? { notice: setup.notice } : {}),
});

export function textToImageCalls({ model, ...setup }: { model: TextToImageModel } & GenerationSetup): RunCalls {
  return {
    modalities: { inputs: ['text'], outputs: ['image'] },
    ...setupLines(setup),
    generate: async (text, options: GenerateOptions = {}) => {
      const seed = options.seed ?? 0;
      const prompts = repeatPrompts(text, options.n ?? 1);
      const images = model.generate(prompts, seed);
      try {
        return imageOutputs(images, seed, prompts);
      } finally {
        images.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}

export function textToAudioCalls({ model, ...setup }: { model: TextToAudioModel } & GenerationSetup): RunCalls {
  return {
    modalities: { inputs: ['text'], outputs: ['audio'] },
    ...setupLines(setup),
    generate: async (text, options: GenerateOptions = {}) => {
      const seed = options.seed ?? 0;
      const prompts = repeatPrompts(text, options.n ?? 1);
      const generated = model.generate(prompts, seed, options.onProgress);
      try {
        const pictures = tidy(() => {
          const logMel = model.codec.toLogMel(generated.spectrograms);
          return prompts.map((_, index) => spectrogramToImage(logMel.select(0, index), { input: 'log' }));
        });
        return generated.clips.map((clip, index) =>
          audioOutput(clip, model.audio.sampleRate, index, seed, prompts[index], pictures[index]),
        );
      } finally {
        generated.spectrograms.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}
