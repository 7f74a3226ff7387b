/**
 * Opening a file to write through the API (Save As, Export): never replaces an existing
 * file unless the caller says the user confirmed it, and never writes through a symbolic
 * link, whether the link is the file itself or a directory on the way planted by another
 * user (the kernel's protected_symlinks rule, applied on every OS).
 */
import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, type Stats } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../shared/api';

export interface TargetOptions {
  /** Replace an existing regular file (the user confirmed). Default: refuse with code 'exists'. */
  overwrite?: boolean;
}

// O_NOFOLLOW is absent on Windows; there, symbolic links are refused by the lstat checks alone.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

function lstatOrNull(file: string): Stats | null {
  try {
    return lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

const currentUid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

/**
 * Refuses a directory on the way that is a symbolic link owned by someone other than
 * this user or root: such a link can point our write into a place its owner chose.
 */
function checkDirectories(target: string): void {
  const uid = currentUid();
  if (uid === null) return;
  let dir = path.dirname(target);
  for (;;) {
    const stat = lstatOrNull(dir);
    if (stat?.isSymbolicLink() && stat.uid !== uid && stat.uid !== 0) {
      throw new ApiError('permission', `refusing to write ${target}: ${dir} is a symbolic link owned by another user`);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** Opens `file` for writing (created or, with overwrite, truncated) and returns its descriptor. */
export function openWriteTarget(file: string, options: TargetOptions = {}): number {
  const target = path.resolve(file);
  checkDirectories(target);
  const existing = lstatOrNull(target);
  if (existing?.isSymbolicLink()) throw new ApiError('permission', `refusing to write ${target}: it is a symbolic link`);
  if (existing && !existing.isFile()) throw new ApiError('invalid', `refusing to write ${target}: it is not a regular file`);
  if (existing && !options.overwrite) throw new ApiError('exists', `${target} already exists; confirm to replace it`);
  if (!existing) {
    try {
      return openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o644);
    } catch (error) {
      // Created between the check and the open: treat as existing, never follow it.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ApiError('exists', `${target} already exists; confirm to replace it`);
      throw error;
    }
  }
  // No O_TRUNC until the descriptor is known to be the file that was checked.
  const fd = openSync(target, constants.O_WRONLY | NOFOLLOW | (constants.O_NONBLOCK ?? 0));
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile() || opened.ino !== existing.ino || opened.dev !== existing.dev) {
      throw new ApiError('permission', `refusing to write ${target}: it changed while being opened`);
    }
    ftruncateSync(fd, 0);
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
