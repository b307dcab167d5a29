// Loudness as a level in dB relative to full scale: the RMS over every sample of a set of clips (silence
// included, as a listener hears a clip). Used to compare generated sound with the data it learnt from.

/** Sum of squares and count of samples, accumulated over clips. */
export interface PowerSum {
  sumOfSquares: number;
  samples: number;
}

export function addPower(total: PowerSum, clip: Float32Array): PowerSum {
  let sum = 0;
  for (const value of clip) sum += value * value;
  return { sumOfSquares: total.sumOfSquares + sum, samples: total.samples + clip.length };
}

/** RMS of the accumulated samples in dBFS (a full-scale sine is -3 dBFS); -Infinity for silence. */
export function powerToDbfs(total: PowerSum): number {
  if (total.samples === 0) return Number.NaN;
  return 10 * Math.log10(total.sumOfSquares / total.samples);
}

/** RMS level in dBFS of one or more clips taken together. */
export function rmsDbfs(clips: Float32Array | readonly Float32Array[]): number {
  const list = clips instanceof Float32Array ? [clips] : clips;
  return powerToDbfs(list.reduce(addPower, { sumOfSquares: 0, samples: 0 }));
}

/** The gain (a factor) that moves a level of `from` dBFS to `to` dBFS. */
export const gainBetween = (from: number, to: number): number => 10 ** ((to - from) / 20);

/** The highest peak a raised clip may reach: just under full scale, so a 16-bit WAV never clips. */
export const PEAK_CEILING = 0.99;

const peakOf = (clip: Float32Array): number => clip.reduce((most, value) => Math.max(most, Math.abs(value)), 0);

/**
 * Multiplies a clip by `gain`, or by less when that would lift its peak past `ceiling`: the whole clip is
 * scaled (no limiter bending its loud onsets, which a judge hears as distortion).
 */
export function applyGain(clip: Float32Array, gain: number, ceiling = PEAK_CEILING): Float32Array {
  const peak = peakOf(clip);
  const scale = peak > 0 ? Math.min(gain, ceiling / peak) : gain;
  return clip.map((value) => value * scale);
}

/**
 * The gain (a factor) that brings clips, each raised by applyGain, to `targetDbfs` all together; clips that
 * reach the ceiling rise less, so the others rise a little more. When the target is out of reach (the clips'
 * peaks stand further above their RMS than the data's), the smallest gain that comes within 0.1 dB of the
 * highest reachable level, so quiet clips are not raised without end.
 */
export function gainForLevel(
  clips: readonly Float32Array[],
  targetDbfs: number,
  ceiling = PEAK_CEILING,
): { gain: number; reachedDbfs: number } {
  const powers = clips.map((clip) => addPower({ sumOfSquares: 0, samples: 0 }, clip).sumOfSquares);
  const peaks = clips.map(peakOf);
  const samples = clips.reduce((sum, clip) => sum + clip.length, 0);
  const levelAt = (gain: number): number => {
    let sum = 0;
    powers.forEach((power, index) => {
      const peak = peaks[index] as number;
      const scale = peak > 0 ? Math.min(gain, ceiling / peak) : gain;
      sum += scale * scale * power;
    });
    return 10 * Math.log10(sum / samples);
  };
  const highest = levelAt(1e6);
  const goal = Math.min(targetDbfs, highest - 0.1);
  // the level rises with the gain (never falls), so bisection in dB finds it
  let low = -60;
  let high = 60;
  for (let step = 0; step < 60; step++) {
    const middle = (low + high) / 2;
    if (levelAt(10 ** (middle / 20)) < goal) low = middle;
    else high = middle;
  }
  const gain = 10 ** (high / 20);
  return { gain, reachedDbfs: levelAt(gain) };
}
