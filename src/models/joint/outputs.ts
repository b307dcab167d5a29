// Decoding shared latents into the modalities asked for: pictures, captions (the decoding config's search)
// and clips (spectrograms turned into sound by the codec's Griffin-Lim). A private latent, where the run has
// them, is drawn from its prior for each output. Shared by joint-vae and joint-diffusion.
import type { GeneratedText, GenerateTextOptions } from '../../modalities/text/generate.js';
import { type Generator, type Tensor, noGrad, randn, tidy } from '../../tensor/index.js';
import type { JointNetwork } from './network.js';
import { type ModalityName, type ModalityPart, PicturePart, TextPart } from './parts.js';

export interface JointOutput {
  /** [N, C, S, S] in [-1, 1]; the caller disposes it. */
  image?: Tensor;
  text?: GeneratedText[];
  /** Spectrograms [N, 1, S, S] in [-1, 1] (the caller disposes them) and one clip per row. */
  audio?: { spectrograms: Tensor; clips: Float32Array[]; sampleRate: number };
}

/** What decoding needs of a joint network. */
export interface DecodingNetwork {
  readonly names: ModalityName[];
  readonly privateDim: number;
  readonly codec: JointNetwork['codec'];
  part(name: ModalityName): ModalityPart;
  eval(): unknown;
}

/** Frees a joint output's tensors. */
export function disposeOutput(output: JointOutput): void {
  output.image?.dispose();
  output.audio?.spectrograms.dispose();
}

/** Refuses a modality the run does not have, naming the ones it has. */
export function checkTargets(names: readonly ModalityName[], to: readonly ModalityName[]): void {
  for (const name of to)
    if (!names.includes(name))
      throw new Error(
        `this run cannot produce ${name} (its modalities: ${names.join(', ')}); choose --to from ${names.join(', ')}`,
      );
}

/**
 * Decodes the `to` modalities from their latents: `latents(name)` is the latent [N, Z] a modality decodes
 * from (joint-vae: the shared one for all; joint-diffusion: each its own), owned by the caller.
 */
export function decodeTargets(
  network: DecodingNetwork,
  latents: (name: ModalityName) => Tensor,
  to: readonly ModalityName[],
  generator: Generator,
  decoding: GenerateTextOptions,
  seed: number,
): JointOutput {
  checkTargets(network.names, to);
  network.eval();
  const output: JointOutput = {};
  try {
    for (const name of network.names.filter((candidate) => to.includes(candidate))) {
      const shared = latents(name);
      const rows = shared.shape[0] ?? 0;
      const privateLatent = randn([rows, network.privateDim], { generator });
      try {
        const part = network.part(name);
        if (part instanceof TextPart) output.text = part.write(shared, privateLatent, decoding);
        else if (part instanceof PicturePart) {
          const pictures = noGrad(() => tidy(() => part.decode(shared, privateLatent)));
          if (name === 'image') output.image = pictures;
          else {
            const codec = network.codec;
            if (!codec) throw new Error('this run has no spectrogram codec to turn its spectrograms into sound');
            output.audio = {
              spectrograms: pictures,
              clips: codec.decode(pictures, seed),
              sampleRate: codec.settings.sampleRate,
            };
          }
        }
      } finally {
        privateLatent.dispose();
      }
    }
    return output;
  } catch (error) {
    disposeOutput(output);
    throw error;
  }
}
