// `mmgen translate RUN [--text "…"] [--image x.png] [--audio x.wav] [--to image,text,audio]` and
// `mmgen sample RUN --n 16` for joint runs: any non-empty subset of modalities in, the rest (or the ones
// named) out; or joint samples of every modality. Both write PNGs, WAVs, spectrogram PNGs, the texts, a
// manifest.jsonl and one contact sheet (a row per sample). The same seed gives the same bytes.
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadJointRun } from '../../models/joint-run.js';
import { writeJointOutput } from '../../models/joint/files.js';
import { prepareJointInputs } from '../../models/joint/inputs.js';
import { disposeOutput } from '../../models/joint/outputs.js';
import { MODALITIES, type ModalityName } from '../../models/joint/parts.js';
import { dispose } from '../../tensor/index.js';
import { collect, integerFlag, numberFlag } from '../flags.js';
import { checkOutputFolder } from '../output-folder.js';

interface JointFlags {
  text: string[];
  image: string[];
  audio: string[];
  to?: string;
  n: string;
  seed: string;
  temperature: string;
  steps?: string;
  guidance?: string;
  out?: string;
}

/** `--to image,text` → modality names; an unknown name is an error naming the choices. */
export function targetsFlag(value: string): ModalityName[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) throw new Error(`--to names no modality; choose from ${MODALITIES.join(', ')} (e.g. --to image,audio)`);
  for (const name of names) if (!(MODALITIES as readonly string[]).includes(name)) throw new Error(`--to: unknown modality "${name}"; choose from ${MODALITIES.join(', ')}`);
  return names as ModalityName[];
}

export async function translateCommand(runDir: string, flags: JointFlags): Promise<void> {
  const n = integerFlag(flags.n, '--n', 1, 256);
  const seed = integerFlag(flags.seed, '--seed', 0);
  const temperature = numberFlag(flags.temperature, '--temperature', 0, 4);
  if (flags.out !== undefined) await checkOutputFolder(flags.out);
  const sampler = {
    ...(flags.steps !== undefined ? { steps: integerFlag(flags.steps, '--steps', 1, 10000) } : {}),
    ...(flags.guidance !== undefined ? { guidance: numberFlag(flags.guidance, '--guidance', 0, 100) } : {}),
  };
  const model = await loadJointRun(runDir);
  try {
    const prepared = await prepareJointInputs(model, { text: flags.text, image: flags.image, audio: flags.audio });
    const release = (): void => dispose(Object.values(prepared.inputs));
    for (const failure of prepared.failures) process.stderr.write(`skipped ${failure.source}: ${failure.error}\n`);
    const given = model.names.filter((name) => prepared.inputs[name] !== undefined);
    if (given.length === 0) throw new Error('no input could be read (see the messages above)');
    let output;
    try {
      const to = flags.to ? targetsFlag(flags.to) : model.names.filter((name) => !given.includes(name));
      output = { to, result: model.translate(prepared.inputs, { to, n, seed, temperature, ...sampler }) };
    } finally {
      release();
    }
    const { to, result } = output;
    try {
      const folder = flags.out ?? join(runDir, 'translated', String(seed));
      const sources = prepared.sources.flatMap((source) => Array.from({ length: n }, () => source));
      const written = await writeJointOutput(folder, result, model.codec, { seed, sources, draws: n });
      for (const [index, text] of (result.text ?? []).entries()) process.stdout.write(`${Object.values(sources[index] ?? {}).join(' + ')} → ${text.text}\n`);
      process.stdout.write(`${given.join(' + ')} → ${to.join(', ')}: ${sources.length} outputs (seed ${seed}) in ${written.folder}\nsheet: ${written.sheet}\n`);
      if (prepared.failures.length > 0) process.exitCode = 1;
    } finally {
      disposeOutput(result);
    }
  } finally {
    model.dispose();
  }
}

export async function sampleCommand(runDir: string, flags: Pick<JointFlags, 'n' | 'seed' | 'out'>): Promise<void> {
  const n = integerFlag(flags.n, '--n', 1, 1024);
  const seed = integerFlag(flags.seed, '--seed', 0);
  if (flags.out !== undefined) await checkOutputFolder(flags.out);
  const model = await loadJointRun(runDir);
  try {
    const output = model.sample(n, seed);
    try {
      const folder = flags.out ?? join(runDir, 'sampled', String(seed));
      const written = await writeJointOutput(folder, output, model.codec, { seed });
      process.stdout.write(`${n} joint samples of ${model.names.join(', ')} from ${model.samplingSource()} (seed ${seed}) in ${written.folder}\nsheet: ${written.sheet}\n`);
    } finally {
      disposeOutput(output);
    }
  } finally {
    model.dispose();
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
    .option('--temperature <t>', 'joint-vae: spread of the inferred latent: 1 draws from the posterior, 0 takes its mean', '1')
    .option('--steps <count>', 'joint-diffusion: DDIM steps (default: the run\'s sampling.steps)')
    .option('--guidance <weight>', 'joint-diffusion: classifier-free guidance weight, ≥ 0 (default: the run\'s sampling.guidance)')
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
