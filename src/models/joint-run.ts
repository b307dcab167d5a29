// Loading a trained joint run (joint-vae or joint-diffusion): its config (validated by the recipe's schema), tokenizer, the formats of
// the data it was trained on, its weights, and the latent mixture fitted when training ended (if any).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '../modalities/text/index.js';
import { dispose } from '../tensor/index.js';
import { loadSafetensors } from '../tensor/safetensors.js';
import { type JointVaeConfig, JointVae, jointVaeConfig } from './joint-vae.js';
import type { JointShapes } from './joint/part-config.js';
import { loadTrainedAndAveraged, parseRunConfig, readRunConfig, withPrefix } from './text-to-image.js';
import { type JointDiffusionConfig, JointDiffusion, jointDiffusionConfig } from './joint-diffusion.js';
import type { JointModel } from './joint/model.js';

export const LATENT_MIXTURE_FILE = 'latent-mixture.safetensors';

/** A joint run's data formats, as training recorded them in config.json. */
function recordedShapes(runDir: string, raw: Record<string, unknown>, tokenizer: Tokenizer): JointShapes {
  const { imageShape, audioShape } = raw as { imageShape?: JointShapes['image']; audioShape?: JointShapes['audio'] };
  if (!imageShape && !audioShape) throw new Error(`${runDir}/config.json records neither imageShape nor audioShape; was the run trained by mmgen?`);
  return { tokenizer, ...(imageShape ? { image: imageShape } : {}), ...(audioShape ? { audio: audioShape } : {}) };
}

/** The joint recipes' names. */
export const JOINT_RECIPES = ['joint-vae', 'joint-diffusion'] as const;

/** Loads a joint run of either recipe. */
export async function loadJointRun(runDir: string): Promise<JointModel> {
  const raw = await readRunConfig(runDir);
  if (raw.recipe === 'joint-diffusion') return loadJointDiffusionRun(runDir, raw);
  if (raw.recipe !== 'joint-vae') throw new Error(`${runDir} is a "${String(raw.recipe)}" run; translate, sample and the joint eval take joint runs (${JOINT_RECIPES.join(', ')})`);
  return loadJointVaeRun(runDir, raw);
}

async function loadJointDiffusionRun(runDir: string, raw: Record<string, unknown>): Promise<JointDiffusion> {
  const { mmgenVersion: _version, imageShape: _image, audioShape: _audio, ...rest } = raw;
  const config = parseRunConfig(runDir, { name: 'joint-diffusion', schema: jointDiffusionConfig }, rest) as JointDiffusionConfig;
  const tokenizer = await Tokenizer.load(join(runDir, 'tokenizer.json'));
  const model = new JointDiffusion(config, recordedShapes(runDir, raw, tokenizer));
  try {
    const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors'));
    try {
      model.autoencoders.loadStateDict(withPrefix(tensors, 'autoencoders'));
      loadTrainedAndAveraged(tensors, 'diffusion', model.diffusion, model.averaged);
    } finally {
      dispose([...tensors.values()]);
    }
    return model;
  } catch (error) {
    model.dispose();
    throw new Error(`cannot load the joint run ${runDir}: ${(error as Error).message}`);
  }
}

export async function loadJointVaeRun(runDir: string, recorded?: Record<string, unknown>): Promise<JointVae> {
  const raw = recorded ?? (await readRunConfig(runDir));
  const { mmgenVersion: _version, imageShape: _image, audioShape: _audio, ...rest } = raw;
  const config = parseRunConfig(runDir, { name: 'joint-vae', schema: jointVaeConfig }, rest) as JointVaeConfig;
  const tokenizer = await Tokenizer.load(join(runDir, 'tokenizer.json'));
  const model = new JointVae(config, recordedShapes(runDir, raw, tokenizer));
  try {
    const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors'));
    try {
      model.network.loadStateDict(withPrefix(tensors, 'network'));
    } finally {
      dispose([...tensors.values()]);
    }
    const mixture = join(runDir, LATENT_MIXTURE_FILE);
    if (existsSync(mixture)) {
      const { tensors: sampler } = await loadSafetensors(mixture);
      try {
        model.sampler.loadStateDict(sampler);
      } finally {
        dispose([...sampler.values()]);
      }
    }
    model.network.eval();
    return model;
  } catch (error) {
    model.dispose();
    throw new Error(`cannot load the joint run ${runDir}: ${(error as Error).message}`);
  }
}
