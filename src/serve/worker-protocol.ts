// Messages between the server and its model worker processes.
import type { Modality } from '../models/run/types.js';
import type { TrainOrder } from '../train/child-protocol.js';

export type { TrainOrder } from '../train/child-protocol.js';

/** An inference job as a worker runs it: every path absolute and already checked by the server. */
export interface WorkerJob {
  id: string;
  task: 'generate' | 'caption' | 'transcribe' | 'translate' | 'sample';
  runDir: string;
  /** Output folder of this job (created by the worker). */
  outDir: string;
  text?: string | undefined;
  image?: string | undefined;
  audio?: string | undefined;
  images?: string[] | undefined;
  clips?: string[] | undefined;
  n: number;
  seed: number;
  beam?: number | undefined;
  to?: Modality[] | undefined;
}

/** One file a job wrote, named inside the job's output folder. */
export interface SavedFile {
  kind: 'image' | 'audio' | 'spectrogram';
  file: string;
  index: number;
}

export interface WorkerOutput {
  files: SavedFile[];
  texts?: string[];
  /** caption/transcribe: why an input could not be read ('' where it was), one per input. */
  errors?: string[];
}

export type ToWorker = { type: 'job'; job: WorkerJob };
export type FromWorker =
  | { type: 'ready'; pid: number }
  | { type: 'result'; id: string; output: WorkerOutput }
  | { type: 'error'; id: string; message: string };

/** A job's spec turned into what runs it (paths resolved and checked); the queue carries it beside the spec. */
export type Prepared =
  | { kind: 'inference'; job: Omit<WorkerJob, 'id' | 'outDir'> }
  | { kind: 'train'; order: TrainOrder; runId: string }
  | { kind: 'eval'; runDir: string; runId: string };
