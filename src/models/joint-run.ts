// Loading a trained joint run (joint-vae or joint-diffusion): its config (validated by the recipe's schema), tokenizer, the formats of
// the data it was trained on, its weights, and the latent mixture fitted when training ended (if any).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '../modalities/text/index.js';
import type { z } from 'zod';
import { type Tensor, dispose } from '../tensor/index.js';
import { loadSafetensors } from '../tensor/safetensors.js';
import { type JointVaeConfig, JointVae, jointVaeConfig } from './joint-vae.js';
import type { JointShapes } from './joint/part-config.js';
import { loadTrainedAndAveraged, parseRunConfig, readRunConfig, withPrefix } from './run-files.js';
import { type JointDiffusionConfig, JointDiffusion, jointDiffusionConfig } from './joint-diffusion.js';
import type { JointModel } from './joint/model.js';

export const LATENT_MIXTURE_FILE = 'latent-mixture.safetensors';
/** Where a joint-vae run over held autoencoders (`model.autoencoders`) keeps their joint-diffusion run's config. */
export const AUTOENCODERS_CONFIG_FILE = 'autoencoders.json';

/**
 * A joint-diffusion run's config, validated: from `file` (default: the run's config.json); `setting` names the
 * config key that gave the run, for errors.
 */
export async function jointDiffusionConfigOf(
  runDir: string,
  setting: string,
  file = 'config.json',
): Promise<JointDiffusionConfig> {
  const raw = await readRunConfig(runDir, file);
  if (raw.recipe !== 'joint-diffusion')
    throw new Error(
      `${setting}: ${runDir} is a "${String(raw.recipe)}" run; give a trained joint-diffusion run, whose autoencoders the VAE reads`,
    );
  const { mmgenVersion: _version, imageShape: _image, audioShape: _audio, ...rest } = raw;
  return parseRunConfig(runDir, { name: 'joint-diffusion', schema: jointDiffusionConfig }, rest);
}

/** A joint run's data formats, as training recorded them in config.json. */
function recordedShapes(runDir: string, raw: Record<string, unknown>, tokenizer: Tokenizer): JointShapes {
  const { imageShape, audioShape } = raw as { imageShape?: JointShapes['image']; audioShape?: JointShapes['audio'] };
  if (!imageShape && !audioShape)
    throw new Error(`${runDir}/config.json records neither imageShape nor audioShape; was the run trained by mmgen?`);
  return { tokenizer, ...(imageShape ? { image: imageShape } : {}), ...(audioShape ? { audio: audioShape } : {}) };
}

/** The joint recipes' names. */
export const JOINT_RECIPES = ['joint-vae', 'joint-diffusion'] as const;

/** Loads a joint run of either recipe. */
export async function loadJointRun(runDir: string): Promise<JointModel> {
  const raw = await readRunConfig(runDir);
  if (raw.recipe === 'joint-diffusion') return loadJointDiffusionRun(runDir, raw);
  if (raw.recipe !== 'joint-vae')
    throw new Error(
      `${runDir} is a "${String(raw.recipe)}" run; translate, sample and the joint eval take joint runs (${JOINT_RECIPES.join(', ')})`,
    );
  return loadJointVaeRun(runDir, raw);
}

/** A run's config (validated), tokenizer and data formats → the model with its weights, through `fill`. */
async function loadWith<Config, Model extends JointModel>(
  runDir: string,
  raw: Record<string, unknown>,
  recipe: { name: string; schema: z.ZodType<Config> },
  create: (config: Config, shapes: JointShapes, source: JointDiffusionConfig | undefined) => Model,
  fill: (model: Model, weights: Map<string, Tensor>) => Promise<void> | void,
): Promise<Model> {
  if (raw.recipe !== recipe.name)
    throw new Error(`${runDir} is a "${String(raw.recipe)}" run; give a ${recipe.name} run`);
  const { mmgenVersion: _version, imageShape: _image, audioShape: _audio, ...rest } = raw;
  const config = parseRunConfig(runDir, recipe, rest);
  const tokenizer = await Tokenizer.load(join(runDir, 'tokenizer.json'));
  // a joint-vae over held autoencoders: their joint-diffusion run's config, copied into this run
  const source = (config as { model?: { autoencoders?: unknown } }).model?.autoencoders
    ? await jointDiffusionConfigOf(runDir, 'model.autoencoders', AUTOENCODERS_CONFIG_FILE)
    : undefined;
  const model = create(config, recordedShapes(runDir, raw, tokenizer), source);
  try {
    const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors'));
    try {
      await fill(model, tensors);
    } finally {
      dispose([...tensors.values()]);
    }
    return model;
  } catch (error) {
    model.dispose();
    throw new Error(`cannot load the joint run ${runDir}: ${(error as Error).message}`, { cause: error });
  }
}

export async function loadJointDiffusionRun(
  runDir: string,
  recorded?: Record<string, unknown>,
): Promise<JointDiffusion> {
  const raw = recorded ?? (await readRunConfig(runDir));
  return loadWith(
    runDir,
    raw,
    { name: 'joint-diffusion', schema: jointDiffusionConfig },
    (config: JointDiffusionConfig, shapes) => new JointDiffusion(config, shapes),
    (model, weights) => {
      model.autoencoders.loadStateDict(withPrefix(weights, 'autoencoders'));
      loadTrainedAndAveraged(weights, 'diffusion', model.diffusion, model.averaged);
    },
  );
}

export async function loadJointVaeRun(runDir: string, recorded?: Record<string, unknown>): Promise<JointVae> {
  const raw = recorded ?? (await readRunConfig(runDir));
  return loadWith(
    runDir,
    raw,
    { name: 'joint-vae', schema: jointVaeConfig },
    (config: JointVaeConfig, shapes, source) => new JointVae(config, shapes, source),
    async (model, weights) => {
      model.network.loadStateDict(withPrefix(weights, 'network'));
      model.autoencoders?.loadStateDict(withPrefix(weights, 'autoencoders'));
      const mixture = join(runDir, LATENT_MIXTURE_FILE);
      if (!existsSync(mixture)) return;
      const { tensors: sampler } = await loadSafetensors(mixture);
      try {
        model.sampler.loadStateDict(sampler);
      } finally {
        dispose([...sampler.values()]);
      }
    },
  );
}
