// modalities/audio: WAV read/write (wavefile), resampling, STFT/iSTFT, mel filterbank and log-mel
// features, Griffin-Lim, and spectrogram pictures.
export {
  readWav,
  decodeWav,
  writeWav,
  encodeWav,
  type WavAudio,
  type WavBitDepth,
  type WavWriteOptions,
} from './wav.js';
export { resample, resampledLength, type ResampleOptions } from './resample.js';
export { stft, istft, magnitudeSpectrogram, resolveStft, type StftOptions, type ResolvedStft } from './spectral.js';
export {
  hzToMel,
  melToHz,
  melFrequencies,
  melFilterbank,
  melFilterbankWeights,
  logMelSpectrogram,
  melToLinear,
  type MelOptions,
  type LogMelOptions,
} from './mel.js';
export {
  griffinLim,
  logMelToAudio,
  type GriffinLimOptions,
  type GriffinLimResult,
  type LogMelToAudioOptions,
} from './griffin-lim.js';
export {
  writeSpectrogramPng,
  spectrogramToImage,
  magmaColour,
  type SpectrogramImageOptions,
  type SpectrogramImage,
} from './spectrogram-image.js';
export { SpectrogramEncoder, type SpectrogramEncoderOptions } from './spectrogram-encoder.js';
export {
  rmsDbfs,
  addPower,
  powerToDbfs,
  gainBetween,
  applyGain,
  gainForLevel,
  PEAK_CEILING,
  type PowerSum,
} from './level.js';
export { trimSilence, centreClip, clipForModel, clipsToTensor, type ClipShape } from './clip.js';
