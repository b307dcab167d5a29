// mmgen's library entry point.
export * from './tensor/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { saveSafetensors, loadSafetensors, saveSafetensorsSync, loadSafetensorsSync } from './tensor/safetensors.js';
export { averageCheckpoints } from './train/average.js';
export { resolveConfig } from './train/recipes.js';
export type { TrainEvent } from './train/events.js';
export { buildDataset } from './data/builders/index.js';
export { loadRun, type Run } from './models/run/load-run.js';
export {
  defineRecipe,
  type Recipe,
  type RecipeDefinition,
  type LoadContext,
  type LoadRunOptions,
} from './models/recipe.js';
export { RECIPES, findRecipe, type RecipeName, type RunConfig, type ConfigOf } from './models/recipes.js';
export type {
  Modality,
  Capability,
  ImageInput,
  AudioInput,
  ImageOutput,
  AudioOutput,
  TextOutput,
  GeneratedOutput,
  GenerateOptions,
  ReadTextOptions,
  TranslateInputs,
  TranslateOptions,
  JointResult,
  RunCalls,
} from './models/run/types.js';
