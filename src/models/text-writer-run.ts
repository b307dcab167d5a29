// Loading a trained text-writer run (captioner, transcriber): config.json checked against the recipe's
// schema, tokenizer.json, and the weights of model.safetensors.
import { join } from 'node:path';
import type { z } from 'zod';
import { Tokenizer } from '../modalities/text/index.js';
import { dispose } from '../tensor/index.js';
import { loadSafetensors } from '../tensor/safetensors.js';
import { readRunConfig, withPrefix } from './run-files.js';
import type { FeatureEncoder, TextWriter } from './text-writer.js';

/** A text writer built with the run's tokenizer, its weights loaded (saved under `name.*`), in eval mode. */
export async function loadTrainedWriter<Model extends TextWriter<FeatureEncoder>>(
  runDir: string,
  create: (tokenizer: Tokenizer) => Model,
): Promise<Model> {
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
    throw new Error(`cannot load the weights of ${runDir}: ${(error as Error).message}`, { cause: error });
  }
  model.encoder.eval();
  model.decoder.eval();
  return model;
}

/** Parses a run's config against a recipe's schema; errors say what the run is when it is another recipe. */
export async function readRecipeRun<T>(
  runDir: string,
  recipe: string,
  what: string,
  schema: z.ZodType<T>,
): Promise<{ config: T; raw: Record<string, unknown> }> {
  const raw = await readRunConfig(runDir);
  const { mmgenVersion: _version, imageShape: _shape, audioShape: _audio, retrievalBank: _bank, ...rest } = raw;
  if (rest.recipe !== recipe)
    throw new Error(
      `${runDir} is a "${String(rest.recipe)}" run, not ${what} (recipe "${recipe}"); train one with \`mmgen train configs/${recipe}-*.yaml\``,
    );
  const parsed = schema.safeParse(rest);
  if (!parsed.success)
    throw new Error(
      `${runDir}/config.json does not match recipe ${recipe}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  return { config: parsed.data, raw };
}
