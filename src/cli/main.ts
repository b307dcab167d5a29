// The mmgen CLI: one file per command under commands/, wired here.
import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerData } from './commands/data.js';
import { registerDemo } from './commands/demo.js';
import { registerInfo } from './commands/info.js';
import { registerTrain } from './commands/train.js';
import { registerGenerate } from './commands/generate.js';
import { registerAverage } from './commands/average.js';
import { registerEval } from './commands/eval.js';
import { registerCaption } from './commands/caption.js';
import { registerTranscribe } from './commands/transcribe.js';
import { registerJoint } from './commands/joint.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mmgen')
    .description('Train and run multimodal generative models (text, image, audio) on the CPU')
    .showHelpAfterError('(run `mmgen --help` for the commands and options)')
    .exitOverride();
  registerDemo(program);
  registerBench(program);
  registerInfo(program);
  registerTrain(program);
  registerGenerate(program);
  registerAverage(program);
  registerData(program);
  registerEval(program);
  registerCaption(program);
  registerTranscribe(program);
  registerJoint(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`mmgen: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
