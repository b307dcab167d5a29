// Writing a file so a crash never leaves it half-written: temporary name in the same folder, then rename.
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let temporaryCount = 0;

export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${(temporaryCount++).toString(36)}.tmp`);
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new Error(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
