// What a loaded run offers every surface (CLI, server, workers, library): its modalities, its
// capabilities, and the calls behind them. Inputs are file paths, bytes or tensors; outputs save themselves.
import type { GenerateTextOptions } from '../../modalities/text/generate.js';
import type { RawImage } from '../../modalities/image/index.js';
import type { Tensor } from '../../tensor/index.js';
import type { WrittenJoint } from '../joint/files.js';

export type Modality = 'text' | 'image' | 'audio';
export type Capability = 'generate' | 'caption' | 'transcribe' | 'translate' | 'sample';

/** A picture: a file path, encoded bytes (PNG, JPEG, WebP…), or a tensor [C, S, S] / [1, C, S, S] in [-1, 1] at the run's size. */
export type ImageInput = string | Uint8Array | Tensor;
/** A sound: a WAV file path, WAV bytes, or samples already at the run's rate (a Float32Array, or a tensor [samples]). */
export type AudioInput = string | Uint8Array | Float32Array | Tensor;

export interface ImageOutput {
  readonly kind: 'image';
  readonly index: number;
  readonly seed: number;
  /** The prompt it was drawn for, where there was one. */
  readonly text?: string;
  readonly image: RawImage;
  png(): Promise<Buffer>;
  /** The file's bytes and extension, alike for every output kind (here: the PNG). */
  bytes(): Promise<Buffer>;
  readonly extension: 'png';
  /** Writes a PNG atomically. */
  save(path: string): Promise<void>;
}

export interface AudioOutput {
  readonly kind: 'audio';
  readonly index: number;
  readonly seed: number;
  readonly text?: string;
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** The clip's log-mel spectrogram as a magma-coloured picture (text→audio runs). */
  readonly spectrogram?: RawImage;
  /** 16-bit PCM WAV bytes. */
  wav(): Buffer;
  /** The file's bytes and extension, alike for every output kind (here: the WAV). */
  bytes(): Promise<Buffer>;
  readonly extension: 'wav';
  save(path: string): Promise<void>;
}

/** A caption or transcript of one input; `error` (and empty text) when that input could not be read. */
export interface TextOutput {
  readonly kind: 'text';
  readonly index: number;
  /** What was read: a file path, or a label for bytes and tensors. */
  readonly source: string;
  readonly text: string;
  readonly logProb: number;
  readonly score: number;
  readonly error?: string;
}

export type GeneratedOutput = ImageOutput | AudioOutput;

export interface GenerateOptions {
  /** Draws per prompt (default 1); outputs are prompt-major. */
  n?: number;
  /** Noise seed (default 0): the same seed gives the same bytes. */
  seed?: number;
  /** Follows long decoding (text→audio's Griffin-Lim), clip by clip. */
  onProgress?: (done: number, total: number) => void;
}

export interface ReadTextOptions extends GenerateTextOptions {
  /** Inputs per forward pass (default 64). */
  batch?: number;
}

export interface TranslateInputs {
  text?: string | readonly string[];
  image?: ImageInput | readonly ImageInput[];
  audio?: AudioInput | readonly AudioInput[];
}

export interface TranslateOptions {
  to: Modality[];
  /** Draws per input row. */
  n?: number;
  seed?: number;
  /** joint-vae: spread of the inferred latent (1 draws from the posterior, 0 takes its mean). */
  temperature?: number;
  /** joint-diffusion: DDIM steps and guidance weight (default: the run's sampling section). */
  steps?: number;
  guidance?: number;
  /** joint-diffusion: DDIM's stochasticity η, 0 to 1 (default: sampling.eta). */
  eta?: number;
  /** joint-diffusion: draws per output, the one whose modalities agree best kept (default: sampling.candidates). */
  candidates?: number;
  /** joint-diffusion: rank draws also by the words the caption-words heads read (default: sampling.captionWords). */
  captionWords?: boolean;
}

export interface JointResult {
  images: ImageOutput[];
  texts: string[];
  sounds: AudioOutput[];
  seed: number;
  /** What each output row was made from (for translations), row-major over draws. */
  sources: Record<string, string>[];
  /** Rows left out because an input could not be read (translate with `skipUnreadable`). */
  failures: { row: number; source: string; error: string }[];
  /** Writes every output, a manifest.jsonl and one contact sheet into a folder. */
  save(folder: string): Promise<WrittenJoint>;
}

/** The calls a recipe's `load` provides; loadRun turns their presence into capabilities. */
export interface RunCalls {
  readonly modalities: { inputs: Modality[]; outputs: Modality[] };
  /** What generation does beyond drawing noise (e.g. discriminator rejection), for reports. */
  readonly generation?: string;
  /** Why a sampling setting of the run's config is off. */
  readonly notice?: string;
  generate?(text: string | readonly string[], options?: GenerateOptions): Promise<GeneratedOutput[]>;
  caption?(images: ImageInput | readonly ImageInput[], options?: ReadTextOptions): Promise<TextOutput[]>;
  transcribe?(clips: AudioInput | readonly AudioInput[], options?: ReadTextOptions): Promise<TextOutput[]>;
  translate?(inputs: TranslateInputs, options: TranslateOptions & { skipUnreadable?: boolean }): Promise<JointResult>;
  sample?(n: number, seed?: number): Promise<JointResult>;
  /** Where joint samples come from, in words. */
  describeSampling?(): string;
  dispose(): void;
}
