// What the runs shipped in demo/ do, shown on a freshly built dataset they never saw: examples for the sheet
// (pictures, captions, spectrograms, WAVs to play) and the numbers beside them, each measured now.
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../data/files.js';
import type { LoadedSplit } from '../../data/loader.js';
import type { ManifestEntry } from '../../data/format.js';
import { parseAttributes } from '../../eval/caption-attributes.js';
import { encodeWav } from '../../modalities/audio/index.js';
import { type ContactSheetTile, tensorToImages } from '../../modalities/image/index.js';
import type { Judge } from '../../models/judge.js';
import type { JointModel } from '../../models/joint/model.js';
import type { JointOutput } from '../../models/joint/outputs.js';
import { spectrogramTiles } from '../../models/spectrogram-tiles.js';
import { disposeOutput } from '../../models/joint/outputs.js';
import { type Tensor, dispose, tidy } from '../../tensor/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The runs and judges mmgen trained itself and ships (RESULTS.md, "shipped runs", has the command of each). */
export const SHIPPED = {
  joint: join(root, 'demo', 'runs', 'joint-shapes-l3'),
  textToSound: join(root, 'demo', 'runs', 'spoken-digits-gan'),
  soundToText: join(root, 'demo', 'runs', 'transcriber-shapes-l3'),
  shapesJudge: join(root, 'demo', 'judges', 'shapes-l3'),
  digitsJudge: join(root, 'demo', 'judges', 'spoken-digits'),
} as const;

export const mark = (right: boolean): string => (right ? '✓' : '✗');

/** Whether each caption names every attribute of its entry. */
export function captionsRight(texts: readonly string[], entries: readonly ManifestEntry[], attributes: Record<string, string[]>): boolean[] {
  return texts.map((text, index) => {
    const parsed = parseAttributes(text, attributes);
    const truth = entries[index]?.attributes ?? {};
    return Object.entries(attributes).every(([name, values]) => values[parsed[name] ?? -1] === truth[name]);
  });
}

/** Whether the judge reads every attribute of each picture as its entry says. */
export function picturesRight(judge: Judge, images: Tensor, entries: readonly ManifestEntry[], attributes: Record<string, string[]>): boolean[] {
  const { predictions } = judge.run(images);
  return entries.map((entry, index) =>
    Object.entries(attributes).every(([name, values]) => values[predictions.get(name)?.[index] ?? -1] === entry.attributes?.[name]),
  );
}

/** Writes clips as 16-bit WAVs named `${prefix}-NN.wav`; returns the paths. */
export async function writeClips(folder: string, prefix: string, clips: readonly Float32Array[], sampleRate: number): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const paths: string[] = [];
  for (const [index, clip] of clips.entries()) {
    const path = join(folder, `${prefix}-${String(index).padStart(2, '0')}.wav`);
    await writeFileAtomic(path, encodeWav(clip, sampleRate));
    paths.push(path);
  }
  return paths;
}

export interface JointExamples {
  sections: { title: string; tiles: ContactSheetTile[] }[];
  wavs: string[];
}

/**
 * Examples of a joint run on the first `count` test rows: text → image, image → text, text → sound (heard by
 * the transcriber), and joint samples. `rowsAsInputs` turns split rows into the run's inputs.
 */
export async function jointExamples(options: {
  model: JointModel;
  split: LoadedSplit;
  attributes: Record<string, string[]>;
  judge: Judge;
  hear: (clips: readonly Float32Array[]) => string[];
  rowsAsInputs: (split: LoadedSplit, rows: readonly number[], from: readonly ('image' | 'text' | 'audio')[]) => Parameters<JointModel['translate']>[0];
  count: number;
  seed: number;
  folder: string;
  label: string;
}): Promise<JointExamples> {
  const { model, split, attributes, judge, count, seed } = options;
  const rows = Array.from({ length: Math.min(count, split.size) }, (_, row) => row);
  const entries = rows.map((row) => split.entries[row] as ManifestEntry);
  const outputs: JointOutput[] = [];
  const translate = (from: ('image' | 'text' | 'audio')[], to: ('image' | 'text' | 'audio')[]): JointOutput => {
    const inputs = options.rowsAsInputs(split, rows, from);
    try {
      const output = model.translate(inputs, { to, seed });
      outputs.push(output);
      return output;
    } finally {
      dispose(inputs);
    }
  };
  try {
    const sections: JointExamples['sections'] = [];
    const wavs: string[] = [];
    const pictures = translate(['text'], ['image']);
    const picturesOk = picturesRight(judge, pictures.image as Tensor, entries, attributes);
    sections.push({
      title: `${options.label} text → image`,
      tiles: tensorToImages(pictures.image as Tensor, { range: 'signed' }).map((image, index) => ({ image, caption: `"${entries[index]?.text}" ${mark(picturesOk[index] ?? false)}` })),
    });
    const captions = (translate(['image'], ['text']).text ?? []).map((text) => text.text);
    const captionsOk = captionsRight(captions, entries, attributes);
    const real = tidy(() => (split.images as Tensor).narrow(0, 0, rows.length).float().div(127.5).sub(1));
    try {
      sections.push({
        title: `${options.label} image → text`,
        tiles: tensorToImages(real, { range: 'signed' }).map((image, index) => ({ image, caption: `→ "${captions[index]}" ${mark(captionsOk[index] ?? false)}` })),
      });
    } finally {
      real.dispose();
    }
    if (model.names.includes('audio') && model.codec) {
      const sounds = translate(['text'], ['audio']).audio;
      if (sounds) {
        const heard = options.hear(sounds.clips);
        const heardOk = captionsRight(heard, entries, attributes);
        wavs.push(...(await writeClips(options.folder, 'text-to-sound', sounds.clips, sounds.sampleRate)));
        const captions = entries.map((entry, index) => `"${entry.text}" heard "${heard[index]}" ${mark(heardOk[index] ?? false)}`);
        sections.push({ title: `${options.label} text → sound`, tiles: await spectrogramTiles(sounds.spectrograms, model.codec, captions) });
      }
    }
    const joint = model.sample(rows.length, seed, model.names);
    outputs.push(joint);
    if (joint.audio) wavs.push(...(await writeClips(options.folder, 'joint-sample', joint.audio.clips, joint.audio.sampleRate)));
    const jointTexts = (joint.text ?? []).map((text) => text.text);
    const heardJoint = joint.audio ? options.hear(joint.audio.clips) : [];
    const jointPictures = joint.image ? tensorToImages(joint.image, { range: 'signed' }) : [];
    sections.push({
      title: `${options.label} joint samples`,
      tiles: jointPictures.map((image, index) => ({ image, caption: `"${jointTexts[index] ?? ''}"${heardJoint[index] !== undefined ? ` · heard "${heardJoint[index]}"` : ''}` })),
    });
    return { sections, wavs };
  } finally {
    for (const output of outputs) disposeOutput(output);
  }
}
