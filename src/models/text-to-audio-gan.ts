// Recipe text2audio-gan: a conditional spectrogram GAN in the spirit of SpecGAN (Donahue et al. 2019).
// The generator draws a normalised 64×64 log-mel spectrogram of a clip from noise and the prompt
// (caption GRU, conditional batch norm at every resolution); a spectral-norm projection discriminator
// with its own caption encoder scores it; hinge loss with a matching-aware term; EMA generator.
// Phase comes from mel inversion + Griffin-Lim. The networks are text2image-gan's over a one-channel
// square picture: the spectrogram is that picture, so nothing here is written twice.
import { z } from 'zod';
import type { Tokenizer } from '../modalities/text/index.js';
import { TextToImageGan, textToImageGanConfig } from './text-to-image-gan.js';
import { type AudioShape, SpectrogramModel, spectrogramConfig, spectrogramShape } from './text-to-audio.js';

export const textToAudioGanConfig = textToImageGanConfig.extend({
  recipe: z.literal('text2audio-gan'),
  spectrogram: spectrogramConfig.prefault({}),
});
export type TextToAudioGanConfig = z.output<typeof textToAudioGanConfig>;

export class TextToAudioGan extends SpectrogramModel {
  constructor(
    readonly config: TextToAudioGanConfig,
    tokenizer: Tokenizer,
    audio: AudioShape,
  ) {
    const { spectrogram, recipe: _recipe, ...gan } = config;
    super(
      new TextToImageGan({ ...gan, recipe: 'text2image-gan' }, tokenizer, spectrogramShape(spectrogram)),
      spectrogram,
      audio,
    );
  }
}
