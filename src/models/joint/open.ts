// The library's door to a joint run (joint-vae or joint-diffusion): captions, image files and WAV files
// in; pictures, captions and sounds out as objects that save themselves. The same seed gives the same bytes.
//
//   const run = await openJointRun('runs/joint-l3');
//   const out = await run.translate({ text: 'big red heart' }, { to: ['image', 'audio'], n: 4, seed: 1 });
//   await out.images[0]?.save('heart.png');
//   await out.save('out/');          // every file, a manifest and one sheet
//   run.dispose();
import { writeFileAtomic } from '../../data/files.js';
import { encodeWav } from '../../modalities/audio/index.js';
import { encodePng, tensorToImages, type RawImage } from '../../modalities/image/index.js';
import { dispose } from '../../tensor/index.js';
import { loadJointRun } from '../joint-run.js';
import { type WrittenJoint, writeJointOutput } from './files.js';
import { prepareJointInputs } from './inputs.js';
import type { JointModel, TranslateOptions } from './model.js';
import { type JointOutput, disposeOutput } from './outputs.js';
import type { ModalityName } from './parts.js';

export interface GeneratedPicture {
  readonly image: RawImage;
  readonly index: number;
  png(): Promise<Buffer>;
  save(path: string): Promise<void>;
}

export interface GeneratedSound {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly index: number;
  wav(): Uint8Array;
  save(path: string): Promise<void>;
}

export interface JointResult {
  images: GeneratedPicture[];
  texts: string[];
  sounds: GeneratedSound[];
  seed: number;
  /** Writes every output, a manifest.jsonl and one contact sheet into a folder. */
  save(folder: string): Promise<WrittenJoint>;
}

export interface JointRunInputs {
  text?: string | string[];
  /** Image files (any size or format). */
  image?: string | string[];
  /** WAV files (any rate, mono or stereo). */
  audio?: string | string[];
}

export interface JointRun {
  readonly recipe: JointModel['recipe'];
  readonly modalities: readonly ModalityName[];
  translate(inputs: JointRunInputs, options: TranslateOptions): Promise<JointResult>;
  sample(n: number, seed?: number): Promise<JointResult>;
  dispose(): void;
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Turns a model's output into saved-on-demand objects (the tensors are read now and freed). */
async function resultOf(model: JointModel, output: JointOutput, seed: number, sources?: Record<string, string>[], draws = 1): Promise<JointResult> {
  const pictures = output.image ? tensorToImages(output.image, { range: 'signed' }) : [];
  const images = pictures.map((image, index): GeneratedPicture => ({
    image, index,
    png: () => encodePng(image),
    save: async (path) => writeFileAtomic(path, await encodePng(image)),
  }));
  const sampleRate = output.audio?.sampleRate ?? 16000;
  const sounds = (output.audio?.clips ?? []).map((samples, index): GeneratedSound => ({
    samples, sampleRate, index,
    wav: () => encodeWav(samples, sampleRate),
    save: async (path) => writeFileAtomic(path, encodeWav(samples, sampleRate)),
  }));
  const texts = (output.text ?? []).map((text) => text.text);
  // the output's tensors (for the sheet's spectrograms) live until the run is disposed
  return {
    images, texts, sounds, seed,
    save: async (folder) => writeJointOutput(folder, output, model.codec, { seed, ...(sources ? { sources } : {}), draws }),
  };
}

export async function openJointRun(runDir: string): Promise<JointRun> {
  const model = await loadJointRun(runDir);
  const pending = new Set<JointOutput>();
  return {
    recipe: model.recipe,
    modalities: model.names,
    translate: async (inputs, options) => {
      const prepared = await prepareJointInputs(model, { text: asList(inputs.text), image: asList(inputs.image), audio: asList(inputs.audio) });
      try {
        if (prepared.failures.length > 0) throw new Error(prepared.failures.map((failure) => `${failure.source}: ${failure.error}`).join('; '));
        const output = model.translate(prepared.inputs, options);
        pending.add(output);
        const n = options.n ?? 1;
        return resultOf(model, output, options.seed ?? 0, prepared.sources.flatMap((source) => Array.from({ length: n }, () => source)), n);
      } finally {
        dispose(prepared.inputs);
      }
    },
    sample: async (n, seed = 0) => {
      const output = model.sample(n, seed);
      pending.add(output);
      return resultOf(model, output, seed);
    },
    dispose: () => {
      for (const output of pending) disposeOutput(output);
      model.dispose();
    },
  };
}
