// modalities/image: decoding/encoding image files through sharp, HWC bytes <-> CHW tensors, resize,
// centre crop, and contact sheets.
export { type RawImage, type ImageChannels, type Colour, type Rgb, parseColour, checkImage } from './types.js';
export {
  decodeImage,
  encodePng,
  encodeImage,
  writeImage,
  formatOfPath,
  type DecodeOptions,
  type Fit,
  type Kernel,
  type ImageFormat,
} from './codec.js';
export { resizeImage, centerCrop, flattenAlpha, convertChannels, type ResizeOptions } from './transform.js';
export {
  imageToTensor,
  imagesToTensor,
  tensorToImage,
  tensorToImages,
  type PixelRange,
  type RangeOptions,
} from './tensor.js';
export {
  writeContactSheet,
  type ContactSheetTile,
  type ContactSheetOptions,
  type ContactSheetResult,
} from './contact-sheet.js';
export { FeatureMapEncoder, type FeatureMapEncoderOptions } from './feature-map-encoder.js';
export { fitImages } from './fit.js';
export { textWidth, wrapCaption } from './caption-layout.js';
