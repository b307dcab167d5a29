// The data formats a run records in its config.json at training time, which loading it needs back.
import type { ClipShape } from '../modalities/audio/index.js';

/** Pictures a run draws or reads: channels and the square side. */
export interface ImageShape {
  channels: number;
  size: number;
}

/** Clips a run makes or hears: sample rate and the clip length every input is padded or cut to. */
export type AudioShape = ClipShape;

/** A recorded imageShape, checked; the error says how the run should have been made. */
export function recordedImageShape(runDir: string, recorded: Readonly<Record<string, unknown>>): ImageShape {
  const shape = recorded.imageShape as Partial<ImageShape> | undefined;
  if (!shape || !Number.isInteger(shape.size) || !Number.isInteger(shape.channels))
    throw new Error(`${runDir}/config.json lacks imageShape; was it written by \`mmgen train\`?`);
  return { channels: shape.channels as number, size: shape.size as number };
}

/** A recorded audioShape, checked. */
export function recordedAudioShape(runDir: string, recorded: Readonly<Record<string, unknown>>): AudioShape {
  const audio = recorded.audioShape as Partial<AudioShape> | undefined;
  if (!audio || !Number.isInteger(audio.sampleRate) || !Number.isInteger(audio.samples))
    throw new Error(`${runDir}/config.json lacks audioShape; was it written by \`mmgen train\`?`);
  return { sampleRate: audio.sampleRate as number, samples: audio.samples as number };
}
