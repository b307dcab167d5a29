// Builds a folder atomically: everything is written into a hidden temporary folder next to the
// target, renamed onto the target only when complete, and removed on error, on cancel and at exit
// (a process killed by SIGINT runs the exit hook once the CLI's handler calls process.exit).
import { existsSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const active = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const dir of active) rmSync(dir, { recursive: true, force: true });
  });
}

/** The prefix of temporary folders for a target, so tests and tools can find leftovers. */
export function stagingPrefix(target: string): string {
  return `.${basename(resolve(target))}.partial-`;
}

export interface StagingOptions {
  /** Replace an existing target (the old one is removed only after the new one is complete). */
  overwrite?: boolean;
}

/**
 * Runs `build(tempDir)` and renames tempDir to `target` if it succeeds. The target must not exist
 * unless `overwrite` is set. On any error tempDir is removed and the error rethrown.
 */
export async function buildAtomically<T>(
  target: string,
  build: (tempDir: string) => Promise<T>,
  options: StagingOptions = {},
): Promise<T> {
  const finalDir = resolve(target);
  const parent = dirname(finalDir);
  const exists = existsSync(finalDir);
  if (exists && !options.overwrite)
    throw new Error(`${target} already exists; choose another --out or pass --overwrite to replace it`);
  if (exists && !(await stat(finalDir)).isDirectory())
    throw new Error(`${target} exists and is not a folder; choose another --out`);
  await mkdir(parent, { recursive: true });
  const tempDir = join(parent, `${stagingPrefix(finalDir)}${process.pid}-${randomBytes(4).toString('hex')}`);
  installExitHook();
  active.add(tempDir);
  try {
    await mkdir(tempDir);
    const result = await build(tempDir);
    if (exists) {
      const old = join(parent, `${stagingPrefix(finalDir)}old-${randomBytes(4).toString('hex')}`);
      await rename(finalDir, old);
      active.add(old);
      await rename(tempDir, finalDir);
      await rm(old, { recursive: true, force: true });
      active.delete(old);
    } else {
      await rename(tempDir, finalDir);
    }
    active.delete(tempDir);
    return result;
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true });
    active.delete(tempDir);
    throw error;
  }
}
