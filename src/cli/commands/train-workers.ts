// `mmgen train … --workers N`: N training processes on this host (ranks 0..N-1) joined over a TCP
// store on a free loopback port. Rank 0 shows progress; the others are quiet unless they fail.
// `--rank R --world-size W --master HOST:PORT` joins one process into a group spanning hosts.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { ProcessGroup, parseMasterAddress } from '../../tensor/index.js';

export interface DistributedFlags {
  workers?: string;
  rank?: string;
  worldSize?: string;
  master?: string;
  timeout?: string;
}

function wholeNumber(text: string, flag: string, minimum: number): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < minimum) {
    throw new Error(`${flag} must be a whole number >= ${minimum}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** The collective timeout in seconds (--timeout, default 300). */
export function collectiveTimeout(flags: DistributedFlags): number {
  if (flags.timeout === undefined) return 300;
  const value = Number(flags.timeout);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--timeout must be a number of seconds > 0, got ${JSON.stringify(flags.timeout)}`);
  return value;
}

/** How many local workers to launch (undefined: this process trains alone or joins a group). */
export function workerCount(flags: DistributedFlags): number | undefined {
  if (flags.workers === undefined) return undefined;
  if (flags.rank !== undefined || flags.worldSize !== undefined || flags.master !== undefined) {
    throw new Error(
      '--workers launches every rank on this host; give either --workers N or --rank R --world-size W --master HOST:PORT, not both',
    );
  }
  return wholeNumber(flags.workers, '--workers', 1);
}

/** Joins the process group that --rank/--world-size/--master describe, or returns undefined without them. */
export function joinGroup(flags: DistributedFlags): ProcessGroup | undefined {
  const given = [flags.rank, flags.worldSize, flags.master].filter((value) => value !== undefined).length;
  if (given === 0) return undefined;
  if (given !== 3)
    throw new Error('joining a data-parallel run needs all of --rank R, --world-size W and --master HOST:PORT');
  const worldSize = wholeNumber(flags.worldSize ?? '', '--world-size', 1);
  const rank = wholeNumber(flags.rank ?? '', '--rank', 0);
  if (rank >= worldSize)
    throw new Error(`--rank ${rank} is out of range for --world-size ${worldSize}; ranks are 0..${worldSize - 1}`);
  const master = parseMasterAddress(flags.master ?? '');
  return ProcessGroup.init({ rank, worldSize, master, timeoutSeconds: collectiveTimeout(flags) });
}

/** A port that was free on 127.0.0.1 a moment ago (rank 0's store binds it next). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string')
    throw new Error('could not find a free loopback port for the store');
  return address.port;
}

interface Outcome {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function describe(outcome: Outcome): string {
  const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
  const lines = outcome.stderr
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('mmgen:'));
  return `rank ${outcome.rank} ${how}${lines.length > 0 ? `: ${lines.join(' ').replace(/^mmgen: /, '')}` : ''}`;
}

/**
 * Runs `mmgen train` in `count` child processes with ranks 0..count-1 (childArgs: the train arguments
 * without --workers). Resolves when all have exited; throws naming every rank that failed.
 */
export async function launchWorkers(count: number, childArgs: string[], timeoutSeconds: number): Promise<void> {
  const port = await freeLoopbackPort();
  const script = process.argv[1];
  if (script === undefined) throw new Error('cannot find the mmgen script to launch workers with');
  const children: ChildProcess[] = [];
  const outcomes: Promise<Outcome>[] = [];
  for (let rank = 0; rank < count; rank++) {
    const args = [
      ...process.execArgv,
      script,
      'train',
      ...childArgs,
      '--rank',
      String(rank),
      '--world-size',
      String(count),
      '--master',
      `127.0.0.1:${port}`,
      '--timeout',
      String(timeoutSeconds),
    ];
    // own process groups: one Ctrl-C reaches each child once, through the forwarding below
    // rank 0 keeps the terminal (its progress bar needs a TTY); the others' stderr is kept for the summary
    const child = spawn(process.execPath, args, {
      stdio: rank === 0 ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-8000);
    });
    outcomes.push(
      new Promise((resolve) => child.once('exit', (code, signal) => resolve({ rank, code, signal, stderr }))),
    );
  }
  const forward = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  const killAll = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('SIGINT', forward);
  process.on('exit', killAll);
  // a rank that fails makes the others fail at their next collective within seconds; any still running
  // 15 s later are stuck (e.g. still waiting to join) and are stopped (checkpoints are written atomically)
  let stopTimer: NodeJS.Timeout | undefined;
  for (const outcome of outcomes) {
    void outcome.then((result) => {
      if ((result.code !== 0 || result.signal !== null) && stopTimer === undefined) {
        stopTimer = setTimeout(() => {
          for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        }, 15_000);
      }
    });
  }
  try {
    const results = await Promise.all(outcomes);
    const failed = results.filter((result) => result.code !== 0 || result.signal !== null);
    if (failed.length > 0) throw new Error(`data-parallel training failed: ${failed.map(describe).join('; ')}`);
  } finally {
    if (stopTimer) clearTimeout(stopTimer);
    process.off('SIGINT', forward);
    process.off('exit', killAll);
  }
}
