// The spectrogram "image" that text→audio models generate: a log-mel spectrogram of a fixed-length clip,
// mapped linearly from [floor, ceiling] (natural-log mel magnitude) to [-1, 1] so a tanh generator can
// produce it, and back to audio by mel inversion + Griffin-Lim. A fixed map rather than data statistics:
// silence (the padding around every spoken clip) sits exactly at -1, and every run decodes the same way.
import { type Tensor, cat, full, noGrad, tidy } from '../../tensor/index.js';
import { logMelSpectrogram, type LogMelOptions } from './mel.js';
import { logMelToAudio } from './griffin-lim.js';

export interface SpectrogramSettings {
  sampleRate: number;
  /** Samples per clip. */
  samples: number;
  nFft: number;
  hopLength: number;
  nMels: number;
  /** Frames kept (the first ones); at most samples / hopLength + 1. */
  frames: number;
  /** ln of the smallest mel magnitude kept (maps to -1). */
  floor: number;
  /** ln of the mel magnitude that maps to +1 (louder is clipped). */
  ceiling: number;
  /** Griffin-Lim iterations when decoding. */
  griffinLimIterations: number;
}

export class SpectrogramCodec {
  readonly stftFrames: number;

  constructor(readonly settings: SpectrogramSettings) {
    const { samples, hopLength, frames, floor, ceiling } = settings;
    this.stftFrames = Math.floor(samples / hopLength) + 1;
    if (!Number.isInteger(frames) || frames < 1 || frames > this.stftFrames) {
      throw new Error(
        `spectrogram frames must be 1..${this.stftFrames} for ${samples} samples at hop ${hopLength}, got ${frames}`,
      );
    }
    if (!(ceiling > floor)) throw new Error(`spectrogram ceiling (${ceiling}) must be above its floor (${floor})`);
  }

  /** Shape of one encoded clip: [1, nMels, frames]. */
  get shape(): [number, number, number] {
    return [1, this.settings.nMels, this.settings.frames];
  }

  private get melOptions(): LogMelOptions {
    const s = this.settings;
    return {
      sampleRate: s.sampleRate,
      nFft: s.nFft,
      hopLength: s.hopLength,
      nMels: s.nMels,
      scale: 'ln',
      floor: Math.exp(s.floor),
    };
  }

  /** Waveforms [B, samples] → spectrograms [B, 1, nMels, frames] in [-1, 1]. */
  encode(waveforms: Tensor): Tensor {
    const { samples, frames, floor, ceiling } = this.settings;
    if (waveforms.rank !== 2 || waveforms.shape[1] !== samples)
      throw new Error(
        `the spectrogram codec expects waveforms [batch, ${samples}], got [${waveforms.shape.join(', ')}]`,
      );
    return noGrad(() =>
      tidy(() => {
        const logMel = logMelSpectrogram(waveforms, this.melOptions).narrow(2, 0, frames);
        return logMel
          .sub(floor)
          .mul(2 / (ceiling - floor))
          .sub(1)
          .clamp(-1, 1)
          .unsqueeze(1)
          .contiguous();
      }),
    );
  }

  /** Waveforms [B, samples] encoded in chunks (bounds the STFT's working memory for a whole split); onProgress(done, total) after each. */
  encodeAll(waveforms: Tensor, chunk = 500, onProgress?: (done: number, total: number) => void): Tensor {
    const count = waveforms.shape[0] ?? 0;
    const parts: Tensor[] = [];
    try {
      for (let start = 0; start < count; start += chunk) {
        parts.push(tidy(() => this.encode(waveforms.narrow(0, start, Math.min(chunk, count - start)))));
        onProgress?.(Math.min(count, start + chunk), count);
      }
      return parts.length === 1 ? (parts.pop() as Tensor) : cat(parts, 0);
    } finally {
      for (const part of parts) part.dispose();
    }
  }

  /** Spectrograms [B, 1, nMels, frames] (or [nMels, frames]) → natural-log mel [B, nMels, stftFrames], silence appended. */
  toLogMel(spectrograms: Tensor): Tensor {
    const { nMels, frames, floor, ceiling } = this.settings;
    return tidy(() => {
      const x = spectrograms.reshape(-1, nMels, frames).float().clamp(-1, 1);
      const logMel = x
        .add(1)
        .mul((ceiling - floor) / 2)
        .add(floor);
      const missing = this.stftFrames - frames;
      return missing === 0 ? logMel : cat([logMel, full([x.shape[0] ?? 1, nMels, missing], floor)], 2);
    });
  }

  /**
   * One waveform per spectrogram, by mel inversion and Griffin-Lim (seeded initial phase per clip). The
   * floor is taken as silence (subtracted from every mel magnitude), so quiet parts decode to quiet, not
   * to a bed of noise at the floor level that real clips never have. onClip(done, total) follows each clip
   * (Griffin-Lim takes ~70 ms a clip at the default settings).
   */
  decode(spectrograms: Tensor, seed = 0, onClip?: (done: number, total: number) => void): Float32Array[] {
    const floorMagnitude = Math.exp(this.settings.floor);
    const logMel = tidy(() => this.toLogMel(spectrograms).exp().sub(floorMagnitude).clamp(1e-12).log());
    try {
      const count = logMel.shape[0] ?? 0;
      const out: Float32Array[] = [];
      for (let index = 0; index < count; index++) {
        const one = logMel.select(0, index);
        try {
          const { samples } = logMelToAudio(one, {
            ...this.melOptions,
            iterations: this.settings.griffinLimIterations,
            seed: seed + index,
            length: this.settings.samples,
          });
          out.push(samples);
          onClip?.(out.length, count);
        } finally {
          one.dispose();
        }
      }
      return out;
    } finally {
      logMel.dispose();
    }
  }
}
