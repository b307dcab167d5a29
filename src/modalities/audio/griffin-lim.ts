// Griffin-Lim phase recovery: a signal whose STFT magnitude matches a given one. The default is the
// "fast" variant (Perraudin et al. 2013, as librosa.griffinlim with momentum 0.99); momentum 0 is
// the original algorithm. The initial phase is random from a seeded generator, so runs repeat.
import { Generator, onesLike, polar, rand, tidy, type Tensor } from '../../tensor/index.js';
import { istft, resolveStft, stft, type StftOptions } from './spectral.js';
import { melToLinear, resolveLogMel, type LogMelOptions } from './mel.js';

export interface GriffinLimOptions extends StftOptions {
  /** Default 32. */
  iterations?: number;
  /** Default 0.99; 0 = classic Griffin-Lim. */
  momentum?: number;
  /** Seed of the initial random phase; default 0. */
  seed?: number;
  /** Output length in samples; default what the frames cover. */
  length?: number;
}

export interface GriffinLimResult {
  samples: Float32Array;
  /** || |STFT(samples)| - magnitude ||_F / || magnitude ||_F of the returned signal (0 = exact). */
  spectralConvergence: number;
  /** The same measure after each iteration. */
  history: number[];
}

/** Spectral convergence of a signal against a target magnitude [nFft/2 + 1, frames]. */
function convergence(signal: Tensor, magnitude: Tensor, settings: StftOptions, targetNorm: number): number {
  return tidy(() => {
    const rebuilt = stft(signal, settings).abs();
    const frames = Math.min(rebuilt.shape[1] ?? 0, magnitude.shape[1] ?? 0);
    return (
      rebuilt
        .narrow(1, 0, frames)
        .sub(magnitude.narrow(1, 0, frames))
        .norm()
        .item() / targetNorm
    );
  });
}

/** Recovers a waveform from a magnitude spectrogram [nFft/2 + 1, frames]. */
export function griffinLim(magnitude: Tensor, options: GriffinLimOptions): GriffinLimResult {
  const settings = resolveStft(options);
  const iterations = options.iterations ?? 32;
  const momentum = options.momentum ?? 0.99;
  const bins = Math.floor(settings.nFft / 2) + 1;
  if (magnitude.rank !== 2 || magnitude.shape[0] !== bins) {
    throw new Error(
      `griffinLim expects a magnitude [${bins}, frames] for nFft ${settings.nFft}, got [${magnitude.shape.join(', ')}]`,
    );
  }
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error(`iterations must be a positive integer, got ${iterations}`);
  if (!(momentum >= 0 && momentum < 1)) throw new Error(`momentum must be in [0, 1), got ${momentum}`);
  const frames = magnitude.shape[1] ?? 0;
  const covered = settings.center
    ? (frames - 1) * settings.hopLength
    : (frames - 1) * settings.hopLength + settings.nFft;
  const length = options.length ?? covered;
  if (!Number.isInteger(length) || length < covered)
    throw new Error(`length ${length} is shorter than the ${covered} samples that ${frames} frames cover`);
  const generator = new Generator(options.seed ?? 0);
  try {
    return tidy(() => {
      const target = magnitude.float();
      const targetNorm = Math.max(target.norm().item(), 1e-12);
      let angles = polar(onesLike(target), rand([bins, frames], { generator }).mul(2 * Math.PI));
      let previous: Tensor | null = null;
      const history: number[] = [];
      const step = momentum / (1 + momentum);
      for (let i = 0; i < iterations; i++) {
        const [nextAngles, rebuilt, score] = tidy((): [Tensor, Tensor, number] => {
          const signal = istft(target.mul(angles), { ...settings, length });
          const rebuiltSpectrum = stft(signal, settings).narrow(1, 0, frames);
          const error = rebuiltSpectrum.abs().sub(target).norm().item() / targetNorm;
          const pushed = previous === null ? rebuiltSpectrum : rebuiltSpectrum.sub(previous.mul(step));
          return [pushed.div(pushed.abs().add(1e-16)), rebuiltSpectrum, error];
        });
        angles.dispose();
        previous?.dispose();
        angles = nextAngles;
        previous = rebuilt;
        history.push(score);
      }
      const signal = istft(target.mul(angles), { ...settings, length });
      const spectralConvergence = convergence(signal, target, settings, targetNorm);
      return { samples: Float32Array.from(signal.dataSync() as Float32Array), spectralConvergence, history };
    });
  } finally {
    generator.dispose();
  }
}

export interface LogMelToAudioOptions extends LogMelOptions, Omit<GriffinLimOptions, keyof StftOptions> {
  /** NNLS iterations for the mel → linear step; default 60. */
  inverseIterations?: number;
}

/** A waveform from log-mel features [nMels, frames] made with the same options (mel inversion, then Griffin-Lim). */
export function logMelToAudio(logMel: Tensor, options: LogMelToAudioOptions): GriffinLimResult {
  const settings = resolveLogMel(options);
  const magnitude = tidy(() => {
    const mel = settings.scale === 'ln' ? logMel.exp() : logMel.mul(Math.LN10 / 10).exp();
    const linear = melToLinear(mel, { ...settings, iterations: options.inverseIterations });
    return settings.power === 2 ? linear.sqrt() : linear;
  });
  try {
    return griffinLim(magnitude, settings);
  } finally {
    magnitude.dispose();
  }
}
