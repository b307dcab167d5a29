// loadRun: the one door to a trained run, for the CLI, the server, workers and library users alike.
//
//   const run = await loadRun('runs/shapes-gan');
//   const [image] = await run.generate('big red heart', { n: 1, seed: 3 });
//   await image?.save('heart.png');
//   run.dispose();
import { basename, resolve } from 'node:path';
import { readRunConfig } from '../run-files.js';
import { type LoadRunOptions, refusal } from '../recipe.js';
import { type RecipeName, type RunConfig, findRecipe, recipeNames } from '../recipes.js';
import type { Capability, RunCalls } from './types.js';

export interface Run extends Required<Omit<RunCalls, 'generation' | 'notice' | 'modalities'>> {
  /** The run folder's name. */
  readonly id: string;
  readonly dir: string;
  readonly recipe: RecipeName;
  readonly description: string;
  readonly config: RunConfig;
  readonly modalities: RunCalls['modalities'];
  readonly capabilities: readonly Capability[];
  /** What generation does beyond drawing noise (e.g. discriminator rejection), for reports. */
  readonly generation?: string;
  /** Why a sampling setting of the run's config is off. */
  readonly notice?: string;
  can(capability: Capability): boolean;
}

const CALLS = ['generate', 'caption', 'transcribe', 'translate', 'sample'] as const satisfies readonly Capability[];

export async function loadRun(dir: string, options: LoadRunOptions = {}): Promise<Run> {
  const recorded = await readRunConfig(dir);
  const recipe = findRecipe(recorded.recipe);
  if (!recipe)
    throw new Error(
      `${dir}/config.json names recipe ${JSON.stringify(recorded.recipe)}, which this mmgen does not know (recipes: ${recipeNames().join(', ')})`,
    );
  if (options.need && !recipe.capabilities.includes(options.need))
    throw refusal(dir, recipe.name, recipe.capabilities, options.need);
  if ((options.with ?? []).length > 0 && !recipe.ensembles)
    throw new Error(`${dir} is a ${recipe.name} run; only captioner runs load with others (--with)`);
  const { config, calls } = await recipe.open(dir, recorded, options);
  const capabilities = CALLS.filter((name) => calls[name] !== undefined);
  const refuse = (capability: Capability) => async (): Promise<never> => {
    throw refusal(dir, recipe.name, capabilities, capability);
  };
  return {
    id: basename(resolve(dir)),
    dir,
    recipe: recipe.name,
    description: recipe.description,
    config,
    modalities: calls.modalities,
    capabilities,
    ...(calls.generation ? { generation: calls.generation } : {}),
    ...(calls.notice ? { notice: calls.notice } : {}),
    can: (capability) => capabilities.includes(capability),
    generate: calls.generate ?? refuse('generate'),
    caption: calls.caption ?? refuse('caption'),
    transcribe: calls.transcribe ?? refuse('transcribe'),
    translate: calls.translate ?? refuse('translate'),
    sample: calls.sample ?? refuse('sample'),
    describeSampling:
      calls.describeSampling ??
      ((): never => {
        throw refusal(dir, recipe.name, capabilities, 'sample');
      }),
    dispose: () => calls.dispose(),
  };
}
