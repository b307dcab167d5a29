// A private redis-server for a test (a free loopback port, a temporary folder, nothing saved) and real
// `mmgen worker` processes whose output lines the test reads.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/mmgen.js', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Resolves with the process once a line of its stdout matches, rejects if it exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (lines.some((line) => pattern.test(line))) {
        child.stdout!.off('data', check);
        child.off('exit', exited);
        resolve();
      }
    };
    const exited = (code: number | null): void =>
      reject(new Error(`${what} exited (${code}) before it was ready:\n${lines.join('\n')}`));
    child.stdout!.on('data', check);
    child.once('exit', exited);
    check();
  });
}

function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  return lines;
}

export interface TestRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'mmgen-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const process = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child = process;
    await waitForLine(process, /Ready to accept connections/, 'redis-server', collectLines(process));
  };
  const stop = async (): Promise<void> => {
    const process = child;
    child = undefined;
    if (!process || process.exitCode !== null) return;
    const exited = new Promise((resolve) => process.once('exit', resolve));
    process.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    cleanup: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestWorker {
  process: ChildProcess;
  /** host:pid, as job records name it. */
  name: string;
  lines: string[];
  stop(): Promise<void>;
}

export async function startWorker(args: string[]): Promise<TestWorker> {
  const process = spawn(globalThis.process.execPath, [CLI, 'worker', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...globalThis.process.env, MMGEN_THREADS: '1' },
  });
  const lines = collectLines(process);
  await waitForLine(process, /takes jobs from/, 'mmgen worker', lines);
  const name = /worker: (\S+) takes jobs/.exec(lines.find((line) => line.includes('takes jobs from'))!)![1]!;
  return {
    process,
    name,
    lines,
    stop: async () => {
      if (process.exitCode !== null || process.signalCode !== null) return;
      const exited = new Promise((resolve) => process.once('exit', resolve));
      process.kill('SIGTERM');
      await exited;
    },
  };
}

export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
