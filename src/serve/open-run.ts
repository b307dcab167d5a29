// Opens a run folder as a ServedRun over the per-recipe loaders (loadTextToImageRun, loadTextToAudioRun,
// loadCaptionerRun, loadTranscriberRun, openJointRun) until the one door, loadRun, lands in models/.
import { join } from 'node:path';
import { writeFileAtomic } from '../data/files.js';
import { encodeWav, readWav, spectrogramToImage } from '../modalities/audio/index.js';
import { decodeImage, encodePng, imagesToTensor, tensorToImages } from '../modalities/image/index.js';
import { loadCaptionerRun } from '../models/captioner-run.js';
import { openJointRun, type JointResult } from '../models/joint/open.js';
import { readRunConfig } from '../models/text-to-image.js';
import { loadTextToAudioRun, textToAudioRecipe } from '../models/text-to-audio-recipes.js';
import { loadTextToImageRun, textToImageRecipe } from '../models/text-to-image-recipes.js';
import { clipForModel, loadTranscriberRun } from '../models/transcriber-run.js';
import { tensor } from '../tensor/index.js';
import { type Capability, type Modality, type ServedOutput, type ServedRun, unsupported } from './run-port.js';

interface Base { recipe: string; inputs: Modality[]; outputs: Modality[]; capabilities: Capability[] }

function refusing(base: Base, dispose: () => void, calls: Partial<ServedRun>): ServedRun {
  const no = (task: Capability) => async (): Promise<never> => unsupported(base.recipe, task, base.capabilities);
  return {
    ...base,
    generate: no('generate'), caption: no('caption'), transcribe: no('transcribe'), translate: no('translate'), sample: no('sample'),
    ...calls,
    dispose,
  };
}

const stemFile = (stem: string, extension: string): string => `${stem}.${extension}`;

function jointOutputs(result: JointResult): ServedOutput[] {
  const images: ServedOutput[] = result.images.map((picture) => ({
    kind: 'image', index: picture.index, seed: result.seed,
    save: async (folder, stem) => {
      await picture.save(join(folder, stemFile(stem, 'png')));
      return [{ kind: 'image', file: stemFile(stem, 'png'), index: picture.index }];
    },
  }));
  const sounds: ServedOutput[] = result.sounds.map((sound) => ({
    kind: 'audio', index: sound.index, seed: result.seed,
    save: async (folder, stem) => {
      await sound.save(join(folder, stemFile(stem, 'wav')));
      return [{ kind: 'audio', file: stemFile(stem, 'wav'), index: sound.index }];
    },
  }));
  const texts: ServedOutput[] = result.texts.map((text, index) => ({ kind: 'text', index, seed: result.seed, text, save: async () => [] }));
  return [...images, ...sounds, ...texts];
}

export async function openServedRun(runDir: string): Promise<ServedRun> {
  const { recipe } = await readRunConfig(runDir);
  const name = String(recipe);
  if (textToImageRecipe(name)) {
    const { model } = await loadTextToImageRun(runDir);
    return refusing({ recipe: name, inputs: ['text'], outputs: ['image'], capabilities: ['generate'] }, () => model.dispose(), {
      generate: async (text, { n, seed }) => {
        const images = model.generate(new Array<string>(n).fill(text), seed);
        const raw = tensorToImages(images, { range: 'signed' });
        images.dispose();
        return raw.map((image, index): ServedOutput => ({
          kind: 'image', index, seed,
          save: async (folder, stem) => {
            await writeFileAtomic(join(folder, stemFile(stem, 'png')), await encodePng(image));
            return [{ kind: 'image', file: stemFile(stem, 'png'), index }];
          },
        }));
      },
    });
  }
  if (textToAudioRecipe(name)) {
    const { model } = await loadTextToAudioRun(runDir);
    return refusing({ recipe: name, inputs: ['text'], outputs: ['audio'], capabilities: ['generate'] }, () => model.dispose(), {
      generate: async (text, { n, seed }) => {
        const generated = model.generate(new Array<string>(n).fill(text), seed);
        const logMel = model.codec.toLogMel(generated.spectrograms);
        generated.spectrograms.dispose();
        const outputs: ServedOutput[] = [];
        try {
          for (const [index, clip] of generated.clips.entries()) {
            const one = logMel.select(0, index);
            let picture;
            try {
              picture = spectrogramToImage(one, { input: 'log' });
            } finally {
              one.dispose();
            }
            const spectrogram = await encodePng(picture);
            outputs.push({
              kind: 'audio', index, seed,
              save: async (folder, stem) => {
                await writeFileAtomic(join(folder, stemFile(stem, 'wav')), encodeWav(clip, model.audio.sampleRate));
                await writeFileAtomic(join(folder, stemFile(stem, 'spectrogram.png')), spectrogram);
                return [{ kind: 'audio', file: stemFile(stem, 'wav'), index }, { kind: 'spectrogram', file: stemFile(stem, 'spectrogram.png'), index }];
              },
            });
          }
        } finally {
          logMel.dispose();
        }
        return outputs;
      },
    });
  }
  if (name === 'captioner') {
    const { model } = await loadCaptionerRun(runDir);
    return refusing({ recipe: name, inputs: ['image'], outputs: ['text'], capabilities: ['caption'] }, () => model.dispose(), {
      caption: async (files, { beam }) => {
        const { channels, size } = model.shape;
        const decoded = await Promise.all(files.map((file) => decodeImage(file, { channels: channels === 1 ? 1 : 3, size: [size, size], fit: 'cover' })));
        const images = imagesToTensor(decoded, { range: 'signed' });
        try {
          return model.caption(images, beam === undefined ? {} : { beam }).map((caption) => caption.text);
        } finally {
          images.dispose();
        }
      },
    });
  }
  if (name === 'transcriber') {
    const { model } = await loadTranscriberRun(runDir);
    return refusing({ recipe: name, inputs: ['audio'], outputs: ['text'], capabilities: ['transcribe'] }, () => model.dispose(), {
      transcribe: async (files, { beam }) => {
        const clips = await Promise.all(files.map(async (file) => clipForModel(await readWav(file), model.audio, file)));
        const flat = new Float32Array(clips.length * model.audio.samples);
        clips.forEach((clip, index) => flat.set(clip, index * model.audio.samples));
        const waveforms = tensor(flat, { shape: [clips.length, model.audio.samples] });
        try {
          return model.transcribe(waveforms, beam === undefined ? {} : { beam }).map((line) => line.text);
        } finally {
          waveforms.dispose();
        }
      },
    });
  }
  if (name === 'joint-vae' || name === 'joint-diffusion') {
    const joint = await openJointRun(runDir);
    const modalities = [...joint.modalities] as Modality[];
    return refusing({ recipe: name, inputs: modalities, outputs: modalities, capabilities: ['translate', 'sample'] }, () => joint.dispose(), {
      translate: async (inputs, { to, n, seed }) => jointOutputs(await joint.translate(
        { ...(inputs.text !== undefined ? { text: inputs.text } : {}), ...(inputs.image !== undefined ? { image: inputs.image } : {}), ...(inputs.audio !== undefined ? { audio: inputs.audio } : {}) },
        { to, n, seed },
      )),
      sample: async (n, seed) => jointOutputs(await joint.sample(n, seed)),
    });
  }
  throw new Error(`${runDir} is a "${name}" run, which the server cannot open (text→image, text→audio, captioner, transcriber and joint runs can be served)`);
}
