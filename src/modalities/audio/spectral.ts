// Short-time Fourier transforms on the native runtime (torch.stft/istft semantics, Hann window).
import { F, tensor, tidy, type Tensor } from '../../tensor/index.js';

export interface StftOptions {
  nFft: number;
  /** Default nFft / 4. */
  hopLength?: number;
  /** Hann window length, at most nFft (centred and zero-padded to nFft); default nFft. */
  winLength?: number;
  /** Pad the signal by nFft / 2 on each side (reflect) so frame t is centred on sample t * hop; default true. */
  center?: boolean;
}

export interface ResolvedStft {
  nFft: number;
  hopLength: number;
  winLength: number;
  center: boolean;
}

export function resolveStft(options: StftOptions): ResolvedStft {
  const { nFft } = options;
  if (!Number.isInteger(nFft) || nFft < 2) throw new Error(`nFft must be an integer of at least 2, got ${nFft}`);
  const hopLength = options.hopLength ?? Math.floor(nFft / 4);
  const winLength = options.winLength ?? nFft;
  if (!Number.isInteger(hopLength) || hopLength < 1)
    throw new Error(`hopLength must be a positive integer, got ${hopLength}`);
  if (!Number.isInteger(winLength) || winLength < 1 || winLength > nFft)
    throw new Error(`winLength must be an integer in 1..nFft (${nFft}), got ${winLength}`);
  if (hopLength > winLength)
    throw new Error(
      `hopLength ${hopLength} is longer than winLength ${winLength}: the frames would leave gaps and istft could not invert them`,
    );
  return { nFft, hopLength, winLength, center: options.center ?? true };
}

/** A float32 signal tensor from samples, or the tensor itself. Call inside tidy(). */
export function signalTensor(signal: Tensor | Float32Array): Tensor {
  if (signal instanceof Float32Array) return tensor(signal);
  // float32 throughout: the runtime has complex64 but no complex128.
  return signal.dtype === 'float32' ? signal : signal.float();
}

function checkSignal(signal: Tensor, settings: ResolvedStft): void {
  if (signal.rank !== 1 && signal.rank !== 2)
    throw new Error(`stft expects a signal [samples] or a batch [batch, samples], got [${signal.shape.join(', ')}]`);
  const length = signal.shape[signal.rank - 1] ?? 0;
  const needed = settings.center ? Math.floor(settings.nFft / 2) + 1 : settings.nFft;
  if (length < needed)
    throw new Error(`the signal has ${length} samples, too short for nFft ${settings.nFft} (needs at least ${needed})`);
}

/** Complex spectrogram [..., nFft/2 + 1, frames]. */
export function stft(signal: Tensor | Float32Array, options: StftOptions): Tensor {
  const settings = resolveStft(options);
  return tidy(() => {
    const x = signalTensor(signal);
    checkSignal(x, settings);
    return F.stft(x, { ...settings, window: F.hannWindow(settings.winLength) });
  });
}

/** The signal back from a complex spectrogram; length trims/pads to that many samples. */
export function istft(spectrogram: Tensor, options: StftOptions & { length?: number }): Tensor {
  const settings = resolveStft(options);
  const bins = spectrogram.shape[spectrogram.rank - 2];
  if (spectrogram.rank < 2 || bins !== Math.floor(settings.nFft / 2) + 1) {
    throw new Error(
      `istft expects [..., ${Math.floor(settings.nFft / 2) + 1}, frames] for nFft ${settings.nFft}, got [${spectrogram.shape.join(', ')}]`,
    );
  }
  if (spectrogram.dtype !== 'complex64')
    throw new Error(`istft expects a complex spectrogram, got ${spectrogram.dtype} (use polar(magnitude, phase))`);
  return tidy(() =>
    F.istft(spectrogram, { ...settings, window: F.hannWindow(settings.winLength), length: options.length }),
  );
}

/** |STFT|^power, [..., nFft/2 + 1, frames]; power 1 = magnitude, 2 = power spectrum. */
export function magnitudeSpectrogram(signal: Tensor | Float32Array, options: StftOptions & { power?: number }): Tensor {
  const power = options.power ?? 1;
  return tidy(() => {
    const magnitude = stft(signal, options).abs();
    return power === 1 ? magnitude : magnitude.pow(power);
  });
}
