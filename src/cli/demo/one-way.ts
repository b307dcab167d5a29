// The one-way shipped runs in the demo: text → sound (spoken digits, heard by the digits' audio judge) and
// sound → text (a transcriber reading real spoken captions it never heard).
import type { ManifestEntry } from '../../data/format.js';
import type { LoadedSplit } from '../../data/loader.js';
import { magnitudeSpectrogram, spectrogramToImage } from '../../modalities/audio/index.js';
import type { ContactSheetTile } from '../../modalities/image/index.js';
import { AudioJudge } from '../../models/audio-judge.js';
import { loadTextToAudioRun } from '../../models/text-to-audio-recipes.js';
import { loadTranscriberRun } from '../../models/transcriber-run.js';
import { type Tensor, tensor, tidy } from '../../tensor/index.js';
import { captionsRight, mark, spectrogramTiles, writeClips } from './shipped.js';

export interface ShownTask {
  title: string;
  /** Share right, and out of how many. */
  right: number;
  total: number;
  tiles: ContactSheetTile[];
  wavs: string[];
}

/** Clips [N, samples] as one tensor. */
function stack(clips: readonly Float32Array[], samples: number): Tensor {
  const flat = new Float32Array(clips.length * samples);
  clips.forEach((clip, index) => flat.set(clip.subarray(0, samples), index * samples));
  return tensor(flat, { shape: [clips.length, samples] });
}

/** Every digit spoken `perDigit` times from its word; the audio judge says which digit it hears. */
export async function showTextToSound(runDir: string, judgeDir: string, folder: string, options: { perDigit: number; seed: number; shown: number }): Promise<ShownTask> {
  const { model } = await loadTextToAudioRun(runDir);
  const judge = await AudioJudge.load(judgeDir);
  try {
    const words = judge.info.classes;
    const prompts = Array.from({ length: options.perDigit }, () => words).flat();
    const generated = model.generate(prompts, options.seed);
    try {
      const waveforms = stack(generated.clips, generated.clips[0]?.length ?? 0);
      const predictions = (() => {
        try {
          const output = judge.run(waveforms);
          output.probabilities.dispose();
          return output.predictions;
        } finally {
          waveforms.dispose();
        }
      })();
      const right = prompts.map((prompt, index) => words[predictions[index] ?? -1] === prompt);
      const shown = Math.min(options.shown, prompts.length);
      const pictures = spectrogramTiles(model.codec, generated.spectrograms.narrow(0, 0, shown));
      const wavs = await writeClips(folder, 'text-to-sound', generated.clips.slice(0, words.length), model.audio.sampleRate);
      return {
        title: 'text → sound (spoken digits)',
        right: right.filter(Boolean).length,
        total: prompts.length,
        tiles: pictures.map((image, index) => ({ image, caption: `"${prompts[index]}" heard as "${words[predictions[index] ?? -1]}" ${mark(right[index] ?? false)}` })),
        wavs,
      };
    } finally {
      generated.spectrograms.dispose();
    }
  } finally {
    judge.dispose();
    model.dispose();
  }
}

/** Real spoken captions of a test split, transcribed; right when every attribute the caption names is heard. */
export async function showSoundToText(runDir: string, split: LoadedSplit, attributes: Record<string, string[]>, options: { rows: number; shown: number }): Promise<ShownTask> {
  const { model } = await loadTranscriberRun(runDir);
  try {
    const rows = Math.min(options.rows, split.size);
    const audio = split.audio as Tensor;
    const clips = tidy(() => audio.narrow(0, 0, rows));
    const entries = split.entries.slice(0, rows) as ManifestEntry[];
    try {
      const heard = model.transcribe(clips, { beam: 1 }).map((text) => text.text);
      const right = captionsRight(heard, entries, attributes);
      const shown = Math.min(options.shown, rows);
      const pictures = tidy(() => Array.from({ length: shown }, (_, index) =>
        spectrogramToImage(magnitudeSpectrogram(clips.select(0, index), { nFft: 512, hopLength: 256 }))));
      return {
        title: 'sound → text (spoken captions)',
        right: right.filter(Boolean).length,
        total: rows,
        tiles: pictures.map((image, index) => ({ image, caption: `"${entries[index]?.text}" → "${heard[index]}" ${mark(right[index] ?? false)}` })),
        wavs: [],
      };
    } finally {
      clips.dispose();
    }
  } finally {
    model.dispose();
  }
}
