// Mel scale and filterbank matching librosa.filters.mel (defaults htk=False, norm='slaney'), and
// log-mel features. Slaney's scale is linear below 1 kHz (200/3 Hz per mel) and logarithmic above
// (27 mels per factor 6.4); each triangular filter is scaled by 2 / (its width in Hz), so every
// filter has unit area.
import { tensor, tidy, type Tensor } from '../../tensor/index.js';
import { resolveStft, stft, type StftOptions } from './spectral.js';

const linearHzPerMel = 200 / 3;
const logStartHz = 1000;
const logStartMel = logStartHz / linearHzPerMel; // 15
const logStep = Math.log(6.4) / 27;

export function hzToMel(hz: number, htk = false): number {
  if (htk) return 2595 * Math.log10(1 + hz / 700);
  return hz >= logStartHz ? logStartMel + Math.log(hz / logStartHz) / logStep : hz / linearHzPerMel;
}

export function melToHz(mel: number, htk = false): number {
  if (htk) return 700 * (10 ** (mel / 2595) - 1);
  return mel >= logStartMel ? logStartHz * Math.exp(logStep * (mel - logStartMel)) : mel * linearHzPerMel;
}

/** count frequencies (Hz) evenly spaced on the mel scale from fMin to fMax inclusive. */
export function melFrequencies(count: number, fMin: number, fMax: number, htk = false): Float64Array {
  const low = hzToMel(fMin, htk);
  const high = hzToMel(fMax, htk);
  return Float64Array.from({ length: count }, (_, i) =>
    melToHz(count === 1 ? low : low + ((high - low) * i) / (count - 1), htk),
  );
}

export interface MelOptions {
  sampleRate: number;
  nFft: number;
  /** Default 128, librosa's. */
  nMels?: number;
  fMin?: number;
  /** Default sampleRate / 2. */
  fMax?: number;
  htk?: boolean;
  /** 'slaney' (default) gives each filter unit area; null leaves peaks at 1. */
  norm?: 'slaney' | null;
}

/** Filterbank weights, row-major [nMels, nFft/2 + 1], computed in float64 then stored as float32 like librosa. */
export function melFilterbankWeights(options: MelOptions): Float32Array {
  const { sampleRate, nFft } = options;
  const nMels = options.nMels ?? 128;
  const fMin = options.fMin ?? 0;
  const fMax = options.fMax ?? sampleRate / 2;
  if (!(sampleRate > 0)) throw new Error(`sampleRate must be positive, got ${sampleRate}`);
  if (!Number.isInteger(nFft) || nFft < 2) throw new Error(`nFft must be an integer of at least 2, got ${nFft}`);
  if (!Number.isInteger(nMels) || nMels < 1) throw new Error(`nMels must be a positive integer, got ${nMels}`);
  if (!(fMin >= 0 && fMin < fMax && fMax <= sampleRate / 2))
    throw new Error(`need 0 <= fMin < fMax <= sampleRate/2 (${sampleRate / 2}), got fMin ${fMin}, fMax ${fMax}`);
  const bins = Math.floor(nFft / 2) + 1;
  const fftFrequencies = Float64Array.from({ length: bins }, (_, k) => (k * sampleRate) / nFft);
  const edges = melFrequencies(nMels + 2, fMin, fMax, options.htk ?? false);
  const weights = new Float32Array(nMels * bins);
  for (let m = 0; m < nMels; m++) {
    const left = edges[m] ?? 0;
    const centre = edges[m + 1] ?? 0;
    const right = edges[m + 2] ?? 0;
    const scale = options.norm === undefined || options.norm === 'slaney' ? 2 / (right - left) : 1;
    let total = 0;
    for (let k = 0; k < bins; k++) {
      const f = fftFrequencies[k] ?? 0;
      const rising = (f - left) / (centre - left);
      const falling = (right - f) / (right - centre);
      const weight = Math.max(0, Math.min(rising, falling)) * scale;
      weights[m * bins + k] = weight;
      total += weight;
    }
    if (total === 0) {
      throw new Error(
        `mel filter ${m} (${left.toFixed(1)}-${right.toFixed(1)} Hz) covers no FFT bin: nMels ${nMels} is too many for nFft ${nFft} at ${sampleRate} Hz; lower nMels or raise nFft`,
      );
    }
  }
  return weights;
}

/** The filterbank as a float32 tensor [nMels, nFft/2 + 1]. */
export function melFilterbank(options: MelOptions): Tensor {
  const bins = Math.floor(options.nFft / 2) + 1;
  return tensor(melFilterbankWeights(options), { shape: [options.nMels ?? 128, bins] });
}

export interface LogMelOptions extends Omit<StftOptions, 'nFft'>, Omit<MelOptions, 'nFft' | 'nMels'> {
  /** Default 1024. */
  nFft?: number;
  /** Default 80. */
  nMels?: number;
  /** Mel of |STFT|^power; default 1 (magnitude). */
  power?: 1 | 2;
  /** 'ln': natural log of max(mel, floor), as HiFi-GAN/Tacotron features (default); 'db': 10 log10 like librosa.power_to_db. */
  scale?: 'ln' | 'db';
  /** Smallest value before the log; default 1e-5 for ln, 1e-10 for db. */
  floor?: number;
  /** db only: clip to this many dB below each item's peak; default 80 (librosa's). null keeps all. */
  topDb?: number | null;
}

export function resolveLogMel(
  options: LogMelOptions,
): Required<Pick<LogMelOptions, 'nFft' | 'nMels' | 'power' | 'scale' | 'floor'>> & LogMelOptions {
  const scale = options.scale ?? 'ln';
  return {
    ...options,
    nFft: options.nFft ?? 1024,
    nMels: options.nMels ?? 80,
    power: options.power ?? 1,
    scale,
    floor: options.floor ?? (scale === 'ln' ? 1e-5 : 1e-10),
  };
}

/** Log-mel features [nMels, frames] of a signal, or [batch, nMels, frames] of a batch [batch, samples]. */
export function logMelSpectrogram(samples: Float32Array | Tensor, options: LogMelOptions): Tensor {
  const settings = resolveLogMel(options);
  resolveStft(settings);
  return tidy(() => {
    const filterbank = melFilterbank(settings);
    const magnitude = stft(samples, settings).abs();
    const spectrum = settings.power === 2 ? magnitude.square() : magnitude;
    const mel = filterbank.matmul(spectrum).clamp(settings.floor);
    if (settings.scale === 'ln') return mel.log();
    const decibels = mel.log().mul(10 / Math.LN10);
    const topDb = settings.topDb === undefined ? 80 : settings.topDb;
    if (topDb === null) return decibels;
    const peak = decibels.rank === 2 ? decibels.max() : decibels.max([1, 2], true);
    return decibels.maximum(peak.sub(topDb));
  });
}

/**
 * Linear-frequency spectrum [nFft/2 + 1, frames] whose mel projection best matches a (non-log) mel
 * spectrogram, by non-negative least squares with multiplicative updates (librosa.feature.inverse
 * uses NNLS too).
 */
export function melToLinear(mel: Tensor, options: MelOptions & { iterations?: number }): Tensor {
  const iterations = options.iterations ?? 60;
  return tidy(() => {
    const filterbank = melFilterbank(options);
    if (mel.shape[mel.rank - 2] !== filterbank.shape[0]) {
      throw new Error(
        `the mel spectrogram has ${mel.shape[mel.rank - 2]} bands but the filterbank has ${filterbank.shape[0]}; pass the nMels it was made with`,
      );
    }
    const transposed = filterbank.T;
    const gram = transposed.matmul(filterbank);
    const target = transposed.matmul(mel.clamp(0));
    let estimate = target.clamp(1e-12);
    for (let i = 0; i < iterations; i++) {
      const next = tidy(() => estimate.mul(target).div(gram.matmul(estimate).clamp(1e-12)));
      estimate.dispose();
      estimate = next;
    }
    return estimate;
  });
}
