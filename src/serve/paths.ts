// Names that arrive in requests (run ids, dataset and config names, file paths) are checked here, and every
// path the server reads or serves is resolved inside one of its folders: `..`, absolute paths, backslashes
// and symbolic links that lead out are refused.
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HttpError, badRequest } from './errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A single folder or file name: letters, digits, dot, dash, underscore; no `..`. */
export function checkName(value: string, what: string): string {
  if (!NAME.test(value) || value.includes('..')) {
    throw badRequest(
      'bad_name',
      `${what} "${value.slice(0, 80)}" is not a valid name: use letters, digits, ".", "-" and "_" (at most 128, no "..")`,
    );
  }
  return value;
}

/** A relative path of checked names inside `root`; returns the absolute path. */
export function insideFolder(root: string, path: string, what: string): string {
  if (path.length === 0 || path.length > 1024 || isAbsolute(path) || path.includes('\\') || path.includes('\0')) {
    throw badRequest(
      'bad_path',
      `${what} "${path.slice(0, 80)}" must be a relative path inside the served folder (no absolute paths)`,
    );
  }
  for (const part of path.split('/')) {
    if (part === '..' || part === '.' || part === '')
      throw badRequest('bad_path', `${what} "${path.slice(0, 80)}" may not contain "..", "." or empty parts`);
  }
  const absolute = resolve(root, path);
  const rel = relative(resolve(root), absolute);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw badRequest('bad_path', `${what} "${path.slice(0, 80)}" leads outside the served folder`);
  return absolute;
}

/** Like insideFolder, and the real path (symbolic links followed) stays inside too; a missing file is a 404. */
export async function existingInside(root: string, path: string, what: string): Promise<string> {
  const absolute = insideFolder(root, path, what);
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([realpath(absolute), realpath(root)]);
  } catch {
    throw new HttpError(404, 'not_found', `${what} "${path}" does not exist`);
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep))
    throw badRequest('bad_path', `${what} "${path}" leads outside the served folder`);
  return real;
}

export const joinName = (root: string, name: string, what: string): string => join(root, checkName(name, what));
