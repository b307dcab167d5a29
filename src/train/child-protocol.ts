// Messages between a process that orders training and the child process that trains (train/child-main.ts):
// the server's training jobs, and joint-diffusion's autoencoders trained apart.
import type { TrainEvent } from './events.js';

/** A training job as its child process runs it. */
export interface TrainOrder {
  config: Record<string, unknown>;
  runDir: string;
  resume: boolean;
}

export type ToTrainer = { type: 'train'; order: TrainOrder } | { type: 'stop' };
export type FromTrainer =
  | { type: 'event'; event: TrainEvent }
  | { type: 'data'; message: string; done: number; total: number }
  | { type: 'finished'; interrupted: boolean }
  | { type: 'error'; message: string };
