// The mmgen CLI: one file per command under commands/, wired here.
import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerData } from './commands/data.js';
import { registerDemo } from './commands/demo.js';
import { registerInfo } from './commands/info.js';
import { registerTrain } from './commands/train.js';
import { registerGenerate } from './commands/generate.js';
import { registerAverage } from './commands/average.js';
import { registerExport } from './commands/export.js';
import { registerEval } from './commands/eval.js';
import { registerCaption } from './commands/caption.js';
import { registerTranscribe } from './commands/transcribe.js';
import { registerJoint } from './commands/joint.js';
import { registerServe } from './commands/serve.js';
import { registerWorker } from './commands/worker.js';

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
  registerExport(program);
  registerData(program);
  registerEval(program);
  registerCaption(program);
  registerTranscribe(program);
  registerJoint(program);
  registerServe(program);
  registerWorker(program);
  return program;
}

/**
 * The first word of `args` that names no command where a command is expected — at the top level, or under a
 * command that only groups others (`data`) — with the commands that are known there. Commander would print
 * the help and exit 0 for `mmgen worker --help`; an unknown command is an error whatever flags follow it.
 */
export function unknownCommand(
  program: Command,
  args: string[],
): { word: string; under: string; known: string[] } | undefined {
  let command = program;
  for (const word of args) {
    if (word.startsWith('-')) continue;
    if (command.commands.length === 0) return undefined;
    // `mmgen help data build`: what follows help is checked as commands too
    if (word === 'help') continue;
    const next = command.commands.find((candidate) => candidate.name() === word || candidate.aliases().includes(word));
    if (next !== undefined) {
      command = next;
      continue;
    }
    // a command with arguments of its own (`eval RUN`) takes the word as one
    if (command !== program && command.registeredArguments.length > 0) return undefined;
    const under = command === program ? 'mmgen' : `mmgen ${command.name()}`;
    return { word, under, known: command.commands.map((candidate) => candidate.name()) };
  }
  return undefined;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  const unknown = unknownCommand(program, argv.slice(2));
  if (unknown !== undefined) {
    process.stderr.write(
      `mmgen: unknown command "${unknown.word}"${unknown.under === 'mmgen' ? '' : ` for ${unknown.under}`}; the commands are ${unknown.known.join(', ')} (run \`${unknown.under} --help\` for what each does)\n`,
    );
    process.exitCode = 1;
    return;
  }
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
