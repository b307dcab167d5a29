// The settings every recipe's training section shares: loop cadence (samples, checkpoints, logs), limits,
// and for the text→image/audio recipes steps, batch size and EMA decay. Schemas only, so recipes and the
// training layer above read the same definitions.
import { z } from 'zod';

/** Every recipe's wall-clock budget in minutes: training ends (with its final checkpoint) at the first step past it. */
export const timeLimitMinutes = z.number().positive().optional();

/** What every recipe's training loop reads besides steps and batch size: sample, checkpoint and log cadence, limits. */
export const loopSettings = {
  sampleEvery: z.number().int().positive().default(250),
  checkpointEvery: z.number().int().positive().default(500),
  keepLast: z.number().int().positive().default(3),
  logEvery: z.number().int().positive().default(5),
  trainLimit: z.number().int().positive().optional(),
  timeLimitMinutes,
};

/** Training settings of every text→image recipe (spread into its `training` section). */
export const runSettings = {
  steps: z.number().int().positive().default(3000),
  batchSize: z.number().int().positive().default(32),
  emaDecay: z.number().min(0).max(1).default(0.999),
  ...loopSettings,
};
