// What every joint recipe's loaded model offers the CLI, the evaluation and the library: the modalities
// it reads and writes, its data formats, translation from any subset and joint sampling.
import type { SpectrogramCodec } from '../../modalities/audio/spectrogram-codec.js';
import type { JointOutput } from './outputs.js';
import type { JointShapes } from './part-config.js';
import type { ModalityData, ModalityName } from './parts.js';

/** Inputs of a translation: any non-empty subset of the run's modalities, R rows each. */
export type JointInputs = Partial<Record<ModalityName, ModalityData>>;

export interface TranslateOptions {
  to: ModalityName[];
  /** Draws per input row (outputs are row-major: row 0's draws first). */
  n?: number;
  seed?: number;
  /** joint-vae: scale of the posterior's spread (1 draws from it, 0 takes its mean). */
  temperature?: number;
  /** joint-diffusion: DDIM steps and classifier-free guidance weight (default: the run's sampling section). */
  steps?: number;
  guidance?: number;
  /** joint-diffusion: DDIM's stochasticity η, 0 to 1 (default: sampling.eta). */
  eta?: number;
  /** joint-diffusion: draws per output, the one whose modalities agree best kept (default: sampling.candidates). */
  candidates?: number;
  /** joint-diffusion: rank draws also by the words the caption-words heads read (default: sampling.captionWords). */
  captionWords?: boolean;
}

export interface SampleOptions {
  /** joint-diffusion: draws per sample, the most coherent kept (default: the run's sampling.candidates). */
  candidates?: number;
  /** joint-diffusion: rank draws also by the words the caption-words heads read (default: sampling.captionWords). */
  captionWords?: boolean;
  /** joint-diffusion: DDIM's stochasticity η, 0 to 1 (default: the run's sampling.eta). */
  eta?: number;
}

export interface JointModel {
  readonly recipe: 'joint-vae' | 'joint-diffusion';
  readonly names: ModalityName[];
  readonly shapes: JointShapes;
  readonly codec: SpectrogramCodec | undefined;
  /** The dataset the run was trained on. */
  readonly dataset: string;
  /**
   * True while the run can only give each modality back from itself (a joint-diffusion run whose score network
   * has not trained): eval then measures the autoencoders' ceilings alone.
   */
  readonly reconstructsOnly: boolean;
  /** Any non-empty subset of modalities in → the requested modalities out; the same seed gives the same bytes. */
  translate(inputs: JointInputs, options: TranslateOptions): JointOutput;
  /** n joint samples of every modality (or of `to`: the others are sampled too, but not decoded). */
  sample(n: number, seed?: number, to?: readonly ModalityName[], options?: SampleOptions): JointOutput;
  /** Where joint samples come from, in words. */
  samplingSource(): string;
  dispose(): void;
}
