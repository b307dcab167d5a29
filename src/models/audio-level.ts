// The output level of a text→audio run. A generator trained on log-mel pictures draws them quieter than
// the data (a small GAN on spoken digits: ~3 dB in mel power), and mel inversion loses about 1 dB more, so
// its clips came out ~4.7 dB below the dataset. At the end of training the run measures its generated level
// on training captions against the training clips' level and keeps the gain that closes the gap in
// audio-level.json, which generation applies (a clip whose peak would pass full scale rises less; see applyGain).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/files.js';
import { Random } from '../data/random.js';
import { gainForLevel, rmsDbfs } from '../modalities/audio/level.js';
import { noGrad } from '../tensor/index.js';
import type { TextToAudioModel } from './text-to-audio.js';

export const AUDIO_LEVEL_FILE = 'audio-level.json';

export interface AudioLevel {
  /** RMS level (dBFS) of the training clips, all samples together. */
  dataRmsDbfs: number;
  /** RMS level (dBFS) the generator reached on `clips` clips of training captions, before any gain. */
  generatedRmsDbfs: number;
  /** The gain generation applies: about dataRmsDbfs - generatedRmsDbfs, a little more when some clips' peaks hold them back. */
  gainDb: number;
  /** The level the measured clips reach with that gain: the data's, or as close as their peaks allow. */
  reachedRmsDbfs: number;
  clips: number;
  /** The training step the level was measured at. */
  step: number;
}

export interface MeasureLevelOptions {
  /** Training captions (one per training clip, repeats kept, so they are drawn as often as the data has them). */
  captions: readonly string[];
  dataRmsDbfs: number;
  step: number;
  /** Clips to generate (default 100: the pooled level then moves by ~0.2 dB between seeds). */
  clips?: number;
  seed?: number;
  /** Prompts per generate() call (default 50). */
  batchSize?: number;
}

/** Measures the model's own level (its gain set to 0 while measuring) against the data's. */
export function measureOutputLevel(model: TextToAudioModel, options: MeasureLevelOptions): AudioLevel {
  if (options.captions.length === 0) throw new Error('measuring the output level needs training captions');
  const count = options.clips ?? 100;
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 50;
  const random = new Random(seed).fork('audio-level');
  const prompts = Array.from({ length: count }, () => options.captions[random.int(options.captions.length)] as string);
  const previousGain = model.outputGainDb;
  model.outputGainDb = 0;
  const clips: Float32Array[] = [];
  try {
    for (let start = 0, call = 0; start < count; start += batchSize, call++) {
      const generated = noGrad(() => model.generate(prompts.slice(start, start + batchSize), seed + call));
      generated.spectrograms.dispose();
      clips.push(...generated.clips);
    }
  } finally {
    model.outputGainDb = previousGain;
  }
  const generatedRmsDbfs = rmsDbfs(clips);
  const { gain, reachedDbfs } = gainForLevel(clips, options.dataRmsDbfs);
  const round = (value: number): number => Number(value.toFixed(3));
  return {
    dataRmsDbfs: round(options.dataRmsDbfs),
    generatedRmsDbfs: round(generatedRmsDbfs),
    gainDb: round(20 * Math.log10(gain)),
    reachedRmsDbfs: round(reachedDbfs),
    clips: count,
    step: options.step,
  };
}

export async function writeAudioLevel(runDir: string, level: AudioLevel): Promise<void> {
  await writeFileAtomic(join(runDir, AUDIO_LEVEL_FILE), `${JSON.stringify(level, null, 2)}\n`);
}

/** The run's measured level, or undefined for a run without one (trained before it was measured, or stopped early). */
export async function readAudioLevel(runDir: string): Promise<AudioLevel | undefined> {
  const path = join(runDir, AUDIO_LEVEL_FILE);
  if (!existsSync(path)) return undefined;
  const level = JSON.parse(await readFile(path, 'utf8')) as Partial<AudioLevel>;
  if (typeof level.gainDb !== 'number' || !Number.isFinite(level.gainDb))
    throw new Error(`${path} has no finite gainDb; delete it to generate at the model's own level`);
  return level as AudioLevel;
}
