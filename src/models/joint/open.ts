// The calls of a joint run (joint-vae or joint-diffusion) for loadRun: captions, image files and WAV files
// (paths or bytes) in; pictures, captions and sounds out as objects that save themselves. The same seed
// gives the same bytes.
//
//   const run = await loadRun('runs/joint-l3');
//   const out = await run.translate({ text: 'big red heart' }, { to: ['image', 'audio'], n: 4, seed: 1 });
//   await out.images[0]?.save('heart.png');
//   await out.save('out/');          // every file, a manifest and one sheet
//   run.dispose();
import { tensorToImages } from '../../modalities/image/index.js';
import { dispose } from '../../tensor/index.js';
import { loadJointRun } from '../joint-run.js';
import { audioOutput, imageOutput } from '../run/outputs.js';
import type {
  AudioInput,
  ImageInput,
  JointResult,
  Modality,
  RunCalls,
  TranslateInputs,
  TranslateOptions,
} from '../run/types.js';
import { writeJointOutput } from './files.js';
import { prepareJointInputs } from './inputs.js';
import type { JointModel } from './model.js';
import { type JointOutput, disposeOutput } from './outputs.js';
import type { ModalityName } from './parts.js';

export type { JointResult } from '../run/types.js';

/** Paths and bytes pass; tensors are refused with the fix. */
function filesOf(
  name: string,
  value: ImageInput | AudioInput | readonly (ImageInput | AudioInput)[] | undefined,
): (string | Uint8Array)[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.map((item: ImageInput | AudioInput) => {
    if (typeof item === 'string' || item instanceof Uint8Array) return item;
    throw new Error(
      `joint runs read ${name} inputs as file paths or encoded bytes, not ${item instanceof Float32Array ? 'samples' : 'tensors'}; encode it first (encodePng, encodeWav)`,
    );
  });
}

/** Turns a model's output into saved-on-demand objects (the tensors are read now; the output lives until `release`). */
function resultOf(
  model: JointModel,
  output: JointOutput,
  seed: number,
  sources: Record<string, string>[],
  draws: number,
  failures: JointResult['failures'],
): JointResult {
  const texts = (output.text ?? []).map((text) => text.text);
  const images = (output.image ? tensorToImages(output.image, { range: 'signed' }) : []).map((image, index) =>
    imageOutput(image, index, seed, texts[index]),
  );
  const sampleRate = output.audio?.sampleRate ?? 16000;
  const sounds = (output.audio?.clips ?? []).map((samples, index) =>
    audioOutput(samples, sampleRate, index, seed, texts[index]),
  );
  return {
    images,
    texts,
    sounds,
    seed,
    sources,
    failures,
    save: async (folder) =>
      writeJointOutput(folder, output, model.codec, { seed, ...(sources.length > 0 ? { sources } : {}), draws }),
  };
}

export function jointCalls(model: JointModel): RunCalls {
  // outputs keep their tensors (for the sheet's spectrograms) until the run is disposed
  const pending = new Set<JointOutput>();
  const names: Modality[] = [...model.names];
  return {
    modalities: { inputs: names, outputs: names },
    translate: async (inputs: TranslateInputs, options: TranslateOptions & { skipUnreadable?: boolean }) => {
      const text = inputs.text === undefined ? [] : typeof inputs.text === 'string' ? [inputs.text] : [...inputs.text];
      const prepared = await prepareJointInputs(model, {
        text,
        image: filesOf('image', inputs.image),
        audio: filesOf('audio', inputs.audio),
      });
      try {
        if (prepared.failures.length > 0 && !options.skipUnreadable)
          throw new Error(prepared.failures.map((failure) => `${failure.source}: ${failure.error}`).join('; '));
        if (Object.keys(prepared.inputs).length === 0)
          throw new Error(
            `no input could be read: ${prepared.failures.map((failure) => `${failure.source}: ${failure.error}`).join('; ')}`,
          );
        const { skipUnreadable: _skip, ...translate } = options;
        const output = model.translate(prepared.inputs, translate);
        pending.add(output);
        const n = options.n ?? 1;
        return resultOf(
          model,
          output,
          options.seed ?? 0,
          prepared.sources.flatMap((source) => Array.from({ length: n }, () => source)),
          n,
          prepared.failures,
        );
      } finally {
        dispose(prepared.inputs);
      }
    },
    sample: async (n, seed = 0) => {
      const output = model.sample(n, seed);
      pending.add(output);
      return resultOf(model, output, seed, [], 1, []);
    },
    describeSampling: () => model.samplingSource(),
    dispose: () => {
      for (const output of pending) disposeOutput(output);
      pending.clear();
      model.dispose();
    },
  };
}

/** A joint run by itself (loadRun is the public door; this keeps the joint-only shape the joint tests read). */
export interface JointRun {
  readonly recipe: JointModel['recipe'];
  readonly modalities: readonly ModalityName[];
  translate(inputs: TranslateInputs, options: TranslateOptions): Promise<JointResult>;
  sample(n: number, seed?: number): Promise<JointResult>;
  dispose(): void;
}

export async function openJointRun(runDir: string): Promise<JointRun> {
  const model = await loadJointRun(runDir);
  const calls = jointCalls(model);
  const { translate, sample } = calls;
  if (!translate || !sample) throw new Error('joint calls lack translate or sample');
  return { recipe: model.recipe, modalities: model.names, translate, sample, dispose: () => calls.dispose() };
}
