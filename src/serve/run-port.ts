// What the server needs from a trained run. Kept small so the one door to runs (loadRun) can sit behind it.
export type Modality = 'text' | 'image' | 'audio';
export type Capability = 'generate' | 'caption' | 'transcribe' | 'translate' | 'sample';

/** One file an output wrote; `file` is a name inside the folder given to save. */
export interface SavedFile {
  kind: 'image' | 'audio' | 'spectrogram';
  file: string;
  index: number;
}

/** A generated picture, sound or text that writes itself into a folder under a stem (`0003`). */
export interface ServedOutput {
  kind: Modality;
  index: number;
  seed: number;
  text?: string;
  save(folder: string, stem: string): Promise<SavedFile[]>;
}

export interface ServedRun {
  readonly recipe: string;
  readonly inputs: readonly Modality[];
  readonly outputs: readonly Modality[];
  readonly capabilities: readonly Capability[];
  generate(text: string, options: { n: number; seed: number }): Promise<ServedOutput[]>;
  /** Image files (any size and format) → one caption each. */
  caption(images: string[], options: { beam?: number | undefined }): Promise<string[]>;
  /** WAV files → one transcript each. */
  transcribe(clips: string[], options: { beam?: number | undefined }): Promise<string[]>;
  translate(inputs: { text?: string | undefined; image?: string | undefined; audio?: string | undefined }, options: { to: Modality[]; n: number; seed: number }): Promise<ServedOutput[]>;
  sample(n: number, seed: number): Promise<ServedOutput[]>;
  dispose(): void;
}

export class UnsupportedTaskError extends Error {}

/** Refuses a task the run cannot do, naming what it can. */
export function unsupported(recipe: string, task: Capability, capabilities: readonly Capability[]): never {
  throw new UnsupportedTaskError(`a ${recipe} run cannot ${task}; it can ${capabilities.join(', ') || 'nothing'}`);
}
