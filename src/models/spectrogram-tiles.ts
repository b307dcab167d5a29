// Spectrogram pictures of generated clips as contact-sheet tiles (audio pictures on the image sheet).
import { spectrogramToImage } from '../modalities/audio/index.js';
import type { SpectrogramCodec } from '../modalities/audio/spectrogram-codec.js';
import type { ContactSheetTile } from '../modalities/image/index.js';
import { type Tensor, tidy } from '../tensor/index.js';

/** One magma-coloured tile per spectrogram [N, 1, mels, frames], captioned with its prompt. */
export function spectrogramTiles(
  spectrograms: Tensor,
  codec: SpectrogramCodec,
  captions: string[],
): ContactSheetTile[] {
  return tidy(() => {
    const logMel = codec.toLogMel(spectrograms);
    const count = logMel.shape[0] ?? 0;
    return Array.from({ length: count }, (_, index) => ({
      image: spectrogramToImage(logMel.select(0, index), { input: 'log' }),
      caption: captions[index] ?? '',
    }));
  });
}
