// mmgen's library entry point.
export * from './tensor/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { saveSafetensors, loadSafetensors, saveSafetensorsSync, loadSafetensorsSync } from './tensor/safetensors.js';
export { loadTextToImageRun, TEXT_TO_IMAGE_RECIPES } from './models/text-to-image-recipes.js';
export type { TextToImageModel, LoadRunOptions } from './models/text-to-image.js';
export { averageCheckpoints } from './train/average.js';
export { loadCaptionerRun } from './models/captioner-run.js';
export { CaptionerEnsemble, loadCaptionerEnsemble } from './models/captioner-ensemble.js';
export { openJointRun, type JointRun, type JointResult, type JointRunInputs, type GeneratedPicture, type GeneratedSound } from './models/joint/open.js';
export { loadJointRun } from './models/joint-run.js';
export type { JointModel, JointInputs, TranslateOptions } from './models/joint/model.js';
