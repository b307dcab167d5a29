// Recipe text2audio-vae: a conditional VAE on the same spectrograms as text2audio-gan, for comparison.
// The encoder sees the spectrogram and the prompt, the decoder (the GAN's conditional-BN upsampler)
// the latent and the prompt; squared error + β·KL with KL annealing; EMA decoder. It is text2image-vae's
// network over the one-channel spectrogram picture.
import { z } from 'zod';
import type { Tokenizer } from '../modalities/text/index.js';
import { Text2ImageVae, text2imageVaeConfig } from './text2image-vae.js';
import { type AudioShape, SpectrogramModel, spectrogramConfig, spectrogramShape } from './text-to-audio.js';

export const text2audioVaeConfig = text2imageVaeConfig.extend({
  recipe: z.literal('text2audio-vae'),
  spectrogram: spectrogramConfig.prefault({}),
});
export type Text2AudioVaeConfig = z.output<typeof text2audioVaeConfig>;

export class Text2AudioVae extends SpectrogramModel {
  constructor(readonly config: Text2AudioVaeConfig, tokenizer: Tokenizer, audio: AudioShape) {
    const { spectrogram, recipe: _recipe, ...vae } = config;
    super(new Text2ImageVae({ ...vae, recipe: 'text2image-vae' }, tokenizer, spectrogramShape(spectrogram)), spectrogram, audio);
  }
}
