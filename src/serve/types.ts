// The job model the HTTP API, the queue and the workers share.
export const TASKS = ['generate', 'caption', 'transcribe', 'translate', 'sample', 'train', 'eval'] as const;
export type Task = (typeof TASKS)[number];

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** What a client asks for. Inputs hold text, names of uploaded files or a training config; params tune the task. */
export interface JobSpec {
  run?: string | undefined;
  task: Task;
  inputs: JobInputs;
  params: JobParams;
}

export interface JobInputs {
  text?: string | undefined;
  /** Uploaded or output files, as paths relative to the output folder (uploads/…, jobs/…). */
  image?: string | undefined;
  audio?: string | undefined;
  images?: string[] | undefined;
  clips?: string[] | undefined;
  /** train: a config file name in the configs folder, or the config itself. */
  config?: string | Record<string, unknown> | undefined;
  /** train: a dataset folder name in the data folder (replaces the config's dataset). */
  dataset?: string | undefined;
}

export interface JobParams {
  n?: number | undefined;
  seed?: number | undefined;
  beam?: number | undefined;
  to?: string[] | undefined;
  /** train: config overrides, key=value as `mmgen train --set` takes them. */
  set?: string[] | undefined;
  /** train: the new run's folder name. */
  name?: string | undefined;
}

/** One file a job wrote, as a URL path under /v1/files/. */
export interface ResultFile {
  kind: 'image' | 'audio' | 'spectrogram' | 'grid' | 'json';
  url: string;
  index?: number;
}

export interface JobResult {
  files: ResultFile[];
  texts?: string[];
  run?: string;
  metrics?: Record<string, number>;
}

export interface JobProgress {
  step: number;
  total: number;
  losses?: Record<string, number>;
}

export interface JobRecord {
  id: string;
  spec: JobSpec;
  state: JobState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  progress?: JobProgress;
  result?: JobResult;
  error?: string;
  /** With `--queue redis://…`: the `mmgen worker` (host:pid) running or last running the job, and its attempts. */
  worker?: string;
  attempts?: number;
}

/** Events of one job as SSE carries them; `id` counts from 1 within the job. */
export type JobEventBody =
  | { type: 'queued'; position: number }
  | { type: 'started' }
  | { type: 'progress'; step: number; total: number; losses?: Record<string, number> }
  | { type: 'sample'; step: number; files: ResultFile[] }
  | { type: 'checkpoint'; step: number }
  | { type: 'notice'; message: string }
  | { type: 'done'; result: JobResult }
  | { type: 'error'; message: string }
  | { type: 'cancelled'; checkpointed: boolean };

export type JobEvent = JobEventBody & { id: number; job: string; time: string };

export function isFinished(state: JobState): boolean {
  return state === 'done' || state === 'failed' || state === 'cancelled';
}
