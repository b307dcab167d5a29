// Loading a trained captioner run (config.json, tokenizer.json, model.safetensors) for captioning and
// evaluation, and the image shape a captioner reads.
import { join } from 'node:path';
import type { ImageInfo } from '../data/format.js';
import { Tokenizer } from '../modalities/text/index.js';
import { dispose } from '../tensor/index.js';
import { loadSafetensors } from '../tensor/safetensors.js';
import { Captioner, type CaptionerConfig, captionerConfig } from './captioner.js';
import { type ImageShape, readRunConfig, withPrefix } from './text-to-image.js';
import type { FeatureEncoder, TextWriter } from './text-writer.js';

/** The channels and square side a captioner reads: the dataset's channels, the configured side or the dataset's rounded up to a power of two. */
export function captionerShape(config: CaptionerConfig, image: Pick<ImageInfo, 'width' | 'height' | 'channels'>): ImageShape {
  const side = Math.max(image.width, image.height);
  const size = config.model.imageSize ?? Math.max(16, 2 ** Math.ceil(Math.log2(side)));
  return { channels: image.channels === 1 ? 1 : 3, size };
}

export interface LoadedCaptioner {
  model: Captioner;
  config: CaptionerConfig;
  dataset: string;
}

/** A text writer built with the run's tokenizer, its weights loaded (saved under `name.*`), in eval mode. */
export async function loadTrainedWriter<Model extends TextWriter<FeatureEncoder>>(runDir: string, create: (tokenizer: Tokenizer) => Model): Promise<Model> {
  const model = create(await Tokenizer.load(join(runDir, 'tokenizer.json')));
  try {
    const { tensors } = await loadSafetensors(join(runDir, 'model.safetensors'));
    try {
      for (const [name, module] of Object.entries(model.modules)) module.loadStateDict(withPrefix(tensors, name));
    } finally {
      dispose([...tensors.values()]);
    }
  } catch (error) {
    model.dispose();
    throw new Error(`cannot load the weights of ${runDir}: ${(error as Error).message}`);
  }
  model.encoder.eval();
  model.decoder.eval();
  return model;
}

/** Parses a run's config against a recipe's schema; errors say what the run is when it is another recipe. */
export async function readRecipeRun<T>(runDir: string, recipe: string, what: string, schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }): Promise<{ config: T; raw: Record<string, unknown> }> {
  const raw = await readRunConfig(runDir);
  const { mmgenVersion: _version, imageShape: _shape, audioShape: _audio, ...rest } = raw;
  if (rest.recipe !== recipe) throw new Error(`${runDir} is a "${String(rest.recipe)}" run, not ${what} (recipe "${recipe}"); train one with \`mmgen train configs/${recipe}-*.yaml\``);
  const parsed = schema.safeParse(rest);
  if (!parsed.success) throw new Error(`${runDir}/config.json does not match recipe ${recipe}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return { config: parsed.data, raw };
}

export async function loadCaptionerRun(runDir: string): Promise<LoadedCaptioner> {
  const { config, raw } = await readRecipeRun(runDir, 'captioner', 'a captioner', captionerConfig);
  const shape = raw.imageShape as ImageShape | undefined;
  if (!shape || !Number.isInteger(shape.size) || !Number.isInteger(shape.channels)) throw new Error(`${runDir}/config.json lacks imageShape; was it written by \`mmgen train\`?`);
  const model = await loadTrainedWriter(runDir, (tokenizer) => new Captioner(config, tokenizer, shape));
  return { model, config, dataset: config.dataset };
}
