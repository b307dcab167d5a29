// Recipe text2audio-vae: a conditional VAE on the same spectrograms as text2audio-gan, for comparison.
// The encoder sees the spectrogram and the prompt, the decoder (the GAN's conditional-BN upsampler)
// the latent and the prompt; squared error + β·KL with KL annealing; EMA decoder. It is text2image-vae's
// network over the one-channel spectrogram picture.
import { z } from 'zod';
import type { Tokenizer } from '../modalities/text/index.js';
import { TextToImageVae, textToImageVaeConfig } from './text-to-image-vae.js';
import { type AudioShape, SpectrogramModel, spectrogramConfig, spectrogramShape } from './text-to-audio.js';

export const textToAudioVaeConfig = textToImageVaeConfig.extend({
  recipe: z.literal('text2audio-vae'),
  spectrogram: spectrogramConfig.prefault({}),
});
export type TextToAudioVaeConfig = z.output<typeof textToAudioVaeConfig>;

export class TextToAudioVae extends SpectrogramModel {
  constructor(
    readonly config: TextToAudioVaeConfig,
    tokenizer: Tokenizer,
    audio: AudioShape,
  ) {
    const { spectrogram, recipe: _recipe, ...vae } = config;
    super(
      new TextToImageVae({ ...vae, recipe: 'text2image-vae' }, tokenizer, spectrogramShape(spectrogram)),
      spectrogram,
      audio,
    );
  }
}
