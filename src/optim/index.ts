// Optimisers, learning-rate schedules and EMA.
export { Optimizer, type ParamSource, type OptimizerState } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export {
  type Schedule,
  type HasLearningRate,
  type SchedulerState,
  constantSchedule,
  linearWarmup,
  linearDecay,
  cosineSchedule,
  stageRate,
  LRScheduler,
} from './schedule.js';
export { EMA, type EmaModule, type EmaOptions } from './ema.js';
export { clipGradNorm } from '../tensor/index.js';
