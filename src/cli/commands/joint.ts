// `mmgen translate RUN [--text "…"] [--image x.png] [--audio x.wav] [--to image,text,audio]` and
// `mmgen sample RUN --n 16` for joint runs: any non-empty subset of modalities in, the rest (or the ones
// named) out; or joint samples of every modality. Both write PNGs, WAVs, spectrogram PNGs, the texts, a
// manifest.jsonl and one contact sheet (a row per sample). The same seed gives the same bytes.
import { join } from 'node:path';
import type { Command } from 'commander';
import { MODALITIES, type ModalityName } from '../../models/joint/parts.js';
import { loadRun } from '../../models/run/load-run.js';
import { collect, integerFlag, numberFlag } from '../flags.js';
import { checkOutputFolder } from '../output-folder.js';

interface JointFlags {
  text: string[];
  image: string[];
  audio: string[];
  to?: string;
  n: string;
  seed: string;
  temperature?: string;
  steps?: string;
  guidance?: string;
  eta?: string;
  candidates?: string;
  /** false with --no-caption-words. */
  captionWords?: boolean;
  out?: string;
}

/** `--to image,text` → modality names; an unknown name is an error naming the choices. */
export function targetsFlag(value: string): ModalityName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0)
    throw new Error(`--to names no modality; choose from ${MODALITIES.join(', ')} (e.g. --to image,audio)`);
  for (const name of names)
    if (!(MODALITIES as readonly string[]).includes(name))
      throw new Error(`--to: unknown modality "${name}"; choose from ${MODALITIES.join(', ')}`);
  return names as ModalityName[];
}

export async function translateCommand(runDir: string, flags: JointFlags): Promise<void> {
  const n = integerFlag(flags.n, '--n', 1, 256);
  const seed = integerFlag(flags.seed, '--seed', 0);
  const temperature =
    flags.temperature === undefined ? {} : { temperature: numberFlag(flags.temperature, '--temperature', 0, 4) };
  if (flags.out !== undefined) await checkOutputFolder(flags.out);
  const sampler = {
    ...(flags.steps !== undefined ? { steps: integerFlag(flags.steps, '--steps', 1, 10000) } : {}),
    ...(flags.guidance !== undefined ? { guidance: numberFlag(flags.guidance, '--guidance', 0, 100) } : {}),
    ...(flags.eta !== undefined ? { eta: numberFlag(flags.eta, '--eta', 0, 1) } : {}),
    ...(flags.candidates !== undefined ? { candidates: integerFlag(flags.candidates, '--candidates', 1, 64) } : {}),
    ...(flags.captionWords === false ? { captionWords: false } : {}),
  };
  const run = await loadRun(runDir, { need: 'translate' });
  try {
    const given = MODALITIES.filter((name) => flags[name].length > 0);
    const to = flags.to ? targetsFlag(flags.to) : run.modalities.outputs.filter((name) => !given.includes(name));
    const result = await run.translate(
      { text: flags.text, image: flags.image, audio: flags.audio },
      { to, n, seed, ...temperature, ...sampler, skipUnreadable: true },
    );
    for (const failure of result.failures) process.stderr.write(`skipped ${failure.source}: ${failure.error}\n`);
    const folder = flags.out ?? join(runDir, 'translated', String(seed));
    const written = await result.save(folder);
    for (const [index, text] of result.texts.entries())
      process.stdout.write(`${Object.values(result.sources[index] ?? {}).join(' + ')} → ${text}\n`);
    process.stdout.write(
      `${given.join(' + ')} → ${to.join(', ')}: ${result.sources.length} outputs (seed ${seed}) in ${written.folder}\nsheet: ${written.sheet}\n`,
    );
    if (result.failures.length > 0) process.exitCode = 1;
  } finally {
    run.dispose();
  }
}

export async function sampleCommand(runDir: string, flags: Pick<JointFlags, 'n' | 'seed' | 'out'>): Promise<void> {
  const n = integerFlag(flags.n, '--n', 1, 1024);
  const seed = integerFlag(flags.seed, '--seed', 0);
  if (flags.out !== undefined) await checkOutputFolder(flags.out);
  const run = await loadRun(runDir, { need: 'sample' });
  try {
    const result = await run.sample(n, seed);
    const written = await result.save(flags.out ?? join(runDir, 'sampled', String(seed)));
    process.stdout.write(
      `${n} joint samples of ${run.modalities.outputs.join(', ')} from ${run.describeSampling()} (seed ${seed}) in ${written.folder}\nsheet: ${written.sheet}\n`,
    );
  } finally {
    run.dispose();
  }
}

export function registerJoint(program: Command): void {
  program
    .command('translate')
    .description('joint runs: from any of text, image and sound, generate the others')
    .argument('<run>', 'run folder written by `mmgen train` with a joint config')
    .option('--text <caption>', 'an input caption (repeat for more rows)', collect, [])
    .option('--image <file>', 'an input image, any size or format (repeat for more rows)', collect, [])
    .option('--audio <file>', 'an input WAV, any rate, mono or stereo (repeat for more rows)', collect, [])
    .option('--to <modalities>', 'comma-separated outputs from image, text, audio (default: every modality not given)')
    .option('--n <count>', 'draws per input row', '1')
    .option('--seed <seed>', 'random seed (the same seed gives the same bytes)', '0')
    .option(
      '--temperature <t>',
      "joint-vae: spread of the inferred latent: 1 draws from the posterior, 0 takes its mean (default: the run's sampling.temperature)",
    )
    .option('--steps <count>', "joint-diffusion: DDIM steps (default: the run's sampling.steps)")
    .option(
      '--guidance <weight>',
      "joint-diffusion: classifier-free guidance weight, ≥ 0 (default: the run's sampling.guidance)",
    )
    .option(
      '--eta <eta>',
      "joint-diffusion: the sampler's stochasticity, 0 (DDIM) to 1 (fresh noise each step) (default: the run's sampling.eta)",
    )
    .option(
      '--candidates <k>',
      "joint-diffusion: draws per output, 1–64; the one whose modalities agree best is kept (default: the run's sampling.candidates)",
    )
    .option(
      '--no-caption-words',
      "joint-diffusion: rank draws by the score network alone, not also by the caption words their heads read (default: the run's sampling.captionWords)",
    )
    .option('--out <dir>', 'output folder (default RUN/translated/SEED)')
    .action(async (runDir: string, flags: JointFlags) => translateCommand(runDir, flags));
  program
    .command('sample')
    .description('joint runs: sample every modality together (image, caption, sound)')
    .argument('<run>', 'run folder written by `mmgen train` with a joint config')
    .option('--n <count>', 'number of joint samples', '16')
    .option('--seed <seed>', 'random seed (the same seed gives the same bytes)', '0')
    .option('--out <dir>', 'output folder (default RUN/sampled/SEED)')
    .action(async (runDir: string, flags: Pick<JointFlags, 'n' | 'seed' | 'out'>) => sampleCommand(runDir, flags));
}
