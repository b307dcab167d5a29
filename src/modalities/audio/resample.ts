// Band-limited resampling with a Kaiser-windowed sinc kernel (the method of resampy / libsamplerate's
// sinc converters). Written here because wavefile's resampler runs a 6-tap sinc after an IIR
// low-pass and does not keep the output length to the rate ratio, and no other resampler is installed.
//
// Each output sample n sits at input time t = n * from / to and is the kernel-weighted sum of the
// inputs within `zeroCrossings` sinc lobes of t. The cutoff is rolloff x the lower Nyquist, so
// downsampling filters out what the new rate cannot hold. When to / gcd is small there are only that
// many distinct fractional positions, so their kernels are computed once (polyphase table).

export interface ResampleOptions {
  /** Sinc lobes on each side of the kernel; default 32. More gives a sharper filter, at more cost. */
  zeroCrossings?: number;
  /** Cutoff as a fraction of the lower Nyquist frequency; default 0.92. */
  rolloff?: number;
  /** Kaiser window shape; default 8.6 (about 86 dB stop-band attenuation). */
  beta?: number;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarter = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= quarter / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Output length for n input samples: ceil(n * to / from), as scipy and librosa give it. */
export function resampledLength(length: number, from: number, to: number): number {
  const divisor = gcd(from, to);
  return Math.ceil((length * (to / divisor)) / (from / divisor));
}

export function resample(samples: Float32Array, from: number, to: number, options: ResampleOptions = {}): Float32Array {
  for (const [name, rate] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!Number.isInteger(rate) || rate < 1)
      throw new Error(`resample: ${name} rate must be a positive integer (Hz), got ${rate}`);
  }
  if (from === to) return samples.slice();
  const zeroCrossings = options.zeroCrossings ?? 32;
  const rolloff = options.rolloff ?? 0.92;
  const beta = options.beta ?? 8.6;
  if (!(rolloff > 0 && rolloff <= 1)) throw new Error(`resample: rolloff must be in (0, 1], got ${rolloff}`);
  if (!(Number.isInteger(zeroCrossings) && zeroCrossings >= 1))
    throw new Error(`resample: zeroCrossings must be a positive integer, got ${zeroCrossings}`);

  // Cutoff in cycles per input sample x 2 (1 = input Nyquist).
  const cutoff = rolloff * Math.min(1, to / from);
  const halfWidth = zeroCrossings / cutoff;
  const taps = 2 * Math.ceil(halfWidth) + 1;
  const windowNorm = 1 / besselI0(beta);
  // Kernel weights for the inputs around time t = base + fraction, base = floor(t).
  const kernelAt = (fraction: number, out: Float64Array): void => {
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      // Input j of the window is input base - ceil(halfWidth) + j.
      const distance = fraction + Math.ceil(halfWidth) - j;
      const x = distance / halfWidth;
      let weight = 0;
      if (Math.abs(x) < 1) {
        const argument = Math.PI * cutoff * distance;
        const sinc = argument === 0 ? 1 : Math.sin(argument) / argument;
        weight = cutoff * sinc * besselI0(beta * Math.sqrt(1 - x * x)) * windowNorm;
      }
      out[j] = weight;
      sum += weight;
    }
    // Unit DC gain at every phase, so a constant stays constant.
    if (sum !== 0) for (let j = 0; j < taps; j++) out[j] = (out[j] ?? 0) / sum;
  };

  const divisor = gcd(from, to);
  const up = to / divisor;
  const down = from / divisor;
  const outputLength = resampledLength(samples.length, from, to);
  const output = new Float32Array(outputLength);
  const tablePhases = up <= 4096 ? up : 0;
  const table =
    tablePhases > 0
      ? Array.from({ length: tablePhases }, (_, phase) => {
          const kernel = new Float64Array(taps);
          kernelAt(phase / up, kernel);
          return kernel;
        })
      : [];
  const scratch = new Float64Array(taps);
  const offset = -Math.ceil(halfWidth);
  for (let n = 0; n < outputLength; n++) {
    // Exact integer arithmetic for the position: n * down / up.
    const numerator = n * down;
    const base = Math.floor(numerator / up);
    const phase = numerator - base * up;
    const kernel = table[phase] ?? scratch;
    if (tablePhases === 0) kernelAt(phase / up, scratch);
    let sum = 0;
    const start = base + offset;
    const lo = Math.max(0, -start);
    const hi = Math.min(taps, samples.length - start);
    for (let j = lo; j < hi; j++) sum += (samples[start + j] ?? 0) * (kernel[j] ?? 0);
    output[n] = sum;
  }
  return output;
}
