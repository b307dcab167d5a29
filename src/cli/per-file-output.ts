// Output of commands that handle many input files (caption, transcribe): one line per file, JSON with
// --json, failures on stderr by name, and a non-zero exit code when any file failed.
export interface PerFileLine {
  file: string;
  error?: string;
}

export function printPerFile<Line extends PerFileLine>(
  lines: Line[],
  options: { json?: boolean | undefined; text(line: Line): string; verb: string },
): void {
  for (const line of lines) {
    if (options.json) process.stdout.write(`${JSON.stringify(line)}\n`);
    else if (line.error !== undefined) process.stderr.write(`mmgen: ${line.error}\n`);
    else process.stdout.write(`${line.file}\t${options.text(line)}\n`);
  }
  const failed = lines.filter((line) => line.error !== undefined).length;
  if (failed > 0) {
    process.stderr.write(`mmgen: ${failed} of ${lines.length} files could not be ${options.verb} (see above)\n`);
    process.exitCode = 1;
  }
}
