// Reading inputs and writing outputs safely: a crash never leaves a half-written file behind.
// Shared by every layer above (modalities may not import each other, so it lives here).
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let temporaryCount = 0;

/** Writes to a temporary name in the same folder, then renames over the target. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${(temporaryCount++).toString(36)}.tmp`);
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new Error(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Bytes of a path (read here, so a file changed on disk is never served from a decoder cache) or of a buffer. */
export async function loadBytes(
  input: Uint8Array | string,
  name: string | undefined,
  kind: string,
): Promise<{ bytes: Uint8Array; label: string }> {
  if (typeof input === 'string') {
    try {
      return { bytes: await readFile(input), label: input };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EISDIR'
            ? 'it is a directory'
            : error instanceof Error
              ? error.message
              : String(error);
      throw new Error(`cannot read ${kind} ${input}: ${reason}`, { cause: error });
    }
  }
  if (!(input instanceof Uint8Array)) throw new Error(`${kind} input must be a file path or a Uint8Array/Buffer`);
  return { bytes: input, label: name ?? `(${input.length} bytes in memory)` };
}

export const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
