// A recipe as the run registry knows it: its name (and older names runs on disk may carry), its config
// schema, what its runs can do, and how to load one. The config type flows from the schema into `load`.
// Training lives a layer up (train/recipes.ts pairs every recipe here with its session), so loading a run
// never pulls in training code and models/ never imports train/.
import type { z } from 'zod';
import type { Capability, Modality, RunCalls } from './run/types.js';

export interface LoadRunOptions {
  /** Share of draws the discriminator rejects, overriding the run's generation.rejection (0 = off; GAN runs). */
  rejection?: number;
  /** Other runs to ensemble with (captioner runs trained on the same dataset). */
  with?: readonly string[];
  /** What the caller will ask of the run: a run whose recipe cannot do it is refused before anything loads. */
  need?: Capability;
}

/** What a run that can do `capability` is called, for refusals. */
const DOERS: Record<Capability, string> = {
  generate: 'text→image or text→audio run',
  caption: 'captioner',
  transcribe: 'transcriber',
  translate: 'joint run',
  sample: 'joint run',
};

/** Why a run of `recipe` (which can do `can`) cannot do `capability`. */
export function refusal(dir: string, recipe: string, can: readonly Capability[], capability: Capability): Error {
  return new Error(
    `${dir} is a "${recipe}" run, not a ${DOERS[capability]}: it can ${can.join(', ') || 'nothing'}, not ${capability}`,
  );
}

export interface LoadContext<Config> {
  dir: string;
  config: Config;
  /** config.json as training wrote it, with the data formats it recorded (imageShape, audioShape, retrievalBank). */
  recorded: Readonly<Record<string, unknown>>;
  options: LoadRunOptions;
}

export interface Recipe<Name extends string = string, Config = unknown> {
  readonly name: Name;
  readonly description: string;
  /** Earlier names of this recipe that runs on disk may still carry. */
  readonly aliases: readonly string[];
  readonly schema: z.ZodType<Config>;
  /** What every run of this recipe can do. */
  readonly capabilities: readonly Capability[];
  /** The modalities its runs read and write (a joint run: the subset it was trained on). */
  readonly modalities: { readonly inputs: readonly Modality[]; readonly outputs: readonly Modality[] };
  /** Whether runs load together with others (`loadRun(dir, { with })`). */
  readonly ensembles: boolean;
  load(context: LoadContext<Config>): Promise<RunCalls>;
  /** Validates a run's recorded config (mmgen's own keys set aside) and loads it: the config typed by this recipe. */
  open(
    dir: string,
    recorded: Readonly<Record<string, unknown>>,
    options: LoadRunOptions,
  ): Promise<{ config: Config; calls: RunCalls }>;
  /** Validates a config for this recipe; errors name `source` and every bad key. */
  parse(raw: Readonly<Record<string, unknown>>, source: string): Config;
}

/** Keys mmgen writes into a run's config.json beside the recipe's own (versions and recorded data formats). */
export const RECORDED_KEYS = ['mmgenVersion', 'imageShape', 'audioShape', 'retrievalBank'] as const;

/** A config with mmgen's recorded keys removed and an earlier recipe name replaced by the current one. */
export function recipeSettings(raw: Readonly<Record<string, unknown>>, name: string): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw))
    if (!(RECORDED_KEYS as readonly string[]).includes(key)) settings[key] = value;
  return { ...settings, recipe: name };
}

export interface RecipeDefinition<Name extends string, Config> {
  name: Name;
  description: string;
  aliases?: readonly string[];
  schema: z.ZodType<Config>;
  capabilities: readonly Capability[];
  modalities: { readonly inputs: readonly Modality[]; readonly outputs: readonly Modality[] };
  ensembles?: boolean;
  load(context: LoadContext<Config>): Promise<RunCalls>;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

export function defineRecipe<const Name extends string, Config>(
  definition: RecipeDefinition<Name, Config>,
): Recipe<Name, Config> {
  const parse = (raw: Readonly<Record<string, unknown>>, source: string): Config => {
    const parsed = definition.schema.safeParse(recipeSettings(raw, definition.name));
    if (!parsed.success)
      throw new Error(`${source} does not match recipe ${definition.name}: ${describeIssues(parsed.error)}`);
    return parsed.data;
  };
  return {
    aliases: [],
    ensembles: false,
    ...definition,
    parse,
    open: async (dir, recorded, options) => {
      const config = parse(recorded, `${dir}/config.json`);
      return { config, calls: await definition.load({ dir, config, recorded, options }) };
    },
  };
}
