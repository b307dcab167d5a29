// Spectrogram pictures of generated clips as contact-sheet tiles (audio pictures on the image sheet).
import { spectrogramToImage } from '../modalities/audio/index.js';
import type { SpectrogramCodec } from '../modalities/audio/spectrogram-codec.js';
import { type ContactSheetTile, resizeImage } from '../modalities/image/index.js';
import { type Tensor, tidy } from '../tensor/index.js';

/** Side of the square a long spectrogram is stretched to: sheets fit tiles whole, so 32 bands × 256 frames
 * would otherwise be a thin strip. */
const tileSide = 128;

/** One magma-coloured tile per spectrogram [N, 1, mels, frames] (or [N, mels, frames]), captioned with its prompt. */
export async function spectrogramTiles(
  spectrograms: Tensor,
  codec: SpectrogramCodec,
  captions: readonly string[],
): Promise<ContactSheetTile[]> {
  const pictures = tidy(() => {
    const logMel = codec.toLogMel(spectrograms);
    const count = logMel.shape[0] ?? 0;
    return Array.from({ length: count }, (_, index) => spectrogramToImage(logMel.select(0, index), { input: 'log' }));
  });
  return Promise.all(
    pictures.map(async (picture, index) => ({
      image:
        picture.width === picture.height ? picture : await resizeImage(picture, [tileSide, tileSide], { fit: 'fill' }),
      caption: captions[index] ?? '',
    })),
  );
}
