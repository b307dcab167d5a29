// Spectrogram pictures of generated clips as contact-sheet tiles (audio pictures on the image sheet).
import { spectrogramToImage } from '../modalities/audio/index.js';
import type { SpectrogramCodec } from '../modalities/audio/spectrogram-codec.js';
import { type ContactSheetTile, type RawImage, resizeImage } from '../modalities/image/index.js';
import { type Tensor, tidy } from '../tensor/index.js';

/** Side of the square a long spectrogram is stretched to: sheets fit tiles whole, so 32 bands × 256 frames
 * would otherwise be a thin strip. */
const tileSide = 128;

/** One magma-coloured picture of a log-mel spectrogram [mels, frames], stretched to a square when it is not one. */
export async function spectrogramTile(logMel: Tensor): Promise<RawImage> {
  const picture = spectrogramToImage(logMel, { input: 'log' });
  return picture.width === picture.height ? picture : resizeImage(picture, [tileSide, tileSide], { fit: 'fill' });
}

/** One tile per spectrogram [N, 1, mels, frames] (or [N, mels, frames]), captioned with its prompt. */
export async function spectrogramTiles(
  spectrograms: Tensor,
  codec: SpectrogramCodec,
  captions: readonly string[],
): Promise<ContactSheetTile[]> {
  const logMels = tidy(() => {
    const logMel = codec.toLogMel(spectrograms);
    return Array.from({ length: logMel.shape[0] ?? 0 }, (_, index) => logMel.select(0, index));
  });
  try {
    return await Promise.all(
      logMels.map(async (logMel, index) => ({ image: await spectrogramTile(logMel), caption: captions[index] ?? '' })),
    );
  } finally {
    for (const logMel of logMels) logMel.dispose();
  }
}
