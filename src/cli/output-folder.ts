// `--out DIR` of the commands that write a folder (generate, average, train, eval train-judge, data build,
// demo): a path that is a file, or runs through one, is refused in words before any work is done, instead of
// mkdir's EEXIST / ENOTDIR after it.
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Throws when `path` (given with `flag`) is an existing file or lies under one; a new or existing folder passes. */
export async function checkOutputFolder(path: string, flag = '--out'): Promise<void> {
  const target = resolve(path);
  for (let at = target; ; at = dirname(at)) {
    const info = await stat(at).catch(() => undefined);
    if (info !== undefined) {
      if (info.isDirectory()) return;
      if (at === target)
        throw new Error(
          `${flag} ${path} is a file, not a folder; give the path of a folder to write into (it is made if missing)`,
        );
      throw new Error(
        `${flag} ${path} lies under ${at}, which is a file, not a folder; give the path of a folder to write into`,
      );
    }
    if (dirname(at) === at) return;
  }
}
