// The one-way shipped runs in the demo: text → sound (spoken digits, heard by the digits' audio judge) and
// sound → text (a transcriber reading real spoken captions it never heard).
import type { ManifestEntry } from '../../data/format.js';
import type { LoadedSplit } from '../../data/loader.js';
import { clipsToTensor, magnitudeSpectrogram, spectrogramToImage } from '../../modalities/audio/index.js';
import type { ContactSheetTile } from '../../modalities/image/index.js';
import { AudioJudge } from '../../models/audio-judge.js';
import { loadRun } from '../../models/run/load-run.js';
import type { AudioOutput } from '../../models/run/types.js';
import { type Tensor, tidy } from '../../tensor/index.js';
import { captionsRight, mark, writeClips } from './shipped.js';

export interface ShownTask {
  title: string;
  /** Share right, and out of how many. */
  right: number;
  total: number;
  tiles: ContactSheetTile[];
  wavs: string[];
}

/** Which class the audio judge hears in each clip. */
function judgeClips(judge: AudioJudge, clips: readonly Float32Array[]): Int32Array {
  const waveforms = clipsToTensor(clips);
  try {
    const output = judge.run(waveforms);
    output.probabilities.dispose();
    return output.predictions;
  } finally {
    waveforms.dispose();
  }
}

/** Every digit spoken `perDigit` times from its word; the audio judge says which digit it hears. */
export async function showTextToSound(runDir: string, judgeDir: string, folder: string, options: { perDigit: number; seed: number; shown: number }): Promise<ShownTask> {
  const run = await loadRun(runDir);
  const judge = await AudioJudge.load(judgeDir);
  try {
    const words = judge.info.classes;
    const prompts = Array.from({ length: options.perDigit }, () => words).flat();
    const sounds = (await run.generate(prompts, { seed: options.seed })).filter((output): output is AudioOutput => output.kind === 'audio');
    const predictions = judgeClips(judge, sounds.map((sound) => sound.samples));
    const right = prompts.map((prompt, index) => words[predictions[index] ?? -1] === prompt);
    const wavs = await writeClips(folder, 'text-to-sound', sounds.slice(0, words.length).map((sound) => sound.samples), sounds[0]?.sampleRate ?? 16000);
    return {
      title: 'text → sound (spoken digits)',
      right: right.filter(Boolean).length,
      total: prompts.length,
      tiles: sounds.slice(0, options.shown).flatMap((sound, index) => (sound.spectrogram
        ? [{ image: sound.spectrogram, caption: `"${prompts[index]}" heard as "${words[predictions[index] ?? -1]}" ${mark(right[index] ?? false)}` }]
        : [])),
      wavs,
    };
  } finally {
    judge.dispose();
    run.dispose();
  }
}

/** Real spoken captions of a test split, transcribed; right when every attribute the caption names is heard. */
export async function showSoundToText(runDir: string, split: LoadedSplit, attributes: Record<string, string[]>, options: { rows: number; shown: number }): Promise<ShownTask> {
  const run = await loadRun(runDir);
  try {
    const rows = Math.min(options.rows, split.size);
    const audio = split.audio as Tensor;
    const clips = Array.from({ length: rows }, (_, row) => tidy(() => audio.select(0, row).float().dataSync() as Float32Array).slice());
    const entries = split.entries.slice(0, rows) as ManifestEntry[];
    const heard = (await run.transcribe(clips, { beam: 1 })).map((text) => text.text);
    const right = captionsRight(heard, entries, attributes);
    const shown = Math.min(options.shown, rows);
    const pictures = tidy(() => Array.from({ length: shown }, (_, index) => spectrogramToImage(magnitudeSpectrogram(clips[index] as Float32Array, { nFft: 512, hopLength: 256 }))));
    return {
      title: 'sound → text (spoken captions)',
      right: right.filter(Boolean).length,
      total: rows,
      tiles: pictures.map((image, index) => ({ image, caption: `"${entries[index]?.text}" → "${heard[index]}" ${mark(right[index] ?? false)}` })),
      wavs: [],
    };
  } finally {
    run.dispose();
  }
}
