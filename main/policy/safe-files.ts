// File operations the privileged helper trusts: targets must be real files in real directories under
// its root (no symlink anywhere below the root), and writes are atomic: temp file in the same folder,
// fsync, rename, fsync the folder. A crash leaves either the old file or the new one, never half.

import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { chmod, chown, lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { CodedError } from '../shared/errors.ts';

export class UnsafeTargetError extends CodedError<'unsafe-target'> {}

/** Test-only pauses and faults around a write, honoured by the helper only with --root. */
export interface WriteFaults {
  /** Called with the temp file written and synced, before the rename. */
  beforeRename?(target: string): Promise<void>;
  /** Called after the rename (e.g. to play a concurrent writer). */
  afterRename?(target: string): Promise<void>;
  /** Called before anything is written to `target`; may throw to play a failing disk. */
  beforeWrite?(target: string): Promise<void>;
}

const TEMP = /^\..+\.vespera-[0-9a-f]{12}\.tmp$/;

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Checks `path` lies under `root` through real directories only, creating missing folders (0755) when
 * asked; the file itself, if present, must be a regular file. Returns its stats or null.
 */
export async function checkTarget(root: string, path: string, createFolders: boolean): Promise<Stats | null> {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep) || rel.split(sep).includes('..')) {
    throw new UnsafeTargetError('unsafe-target', `${path} is outside ${root}; refused.`);
  }
  const parts = rel.split(sep);
  let current = root;
  for (const part of parts.slice(0, -1)) {
    current = join(current, part);
    const stats = await lstatOrNull(current);
    if (stats === null) {
      if (!createFolders) return null;
      await mkdir(current, { mode: 0o755 });
      continue;
    }
    if (stats.isSymbolicLink()) throw new UnsafeTargetError('unsafe-target', `${current} is a symbolic link; the helper writes only through real folders. Replace the link with a folder, then try again.`);
    if (!stats.isDirectory()) throw new UnsafeTargetError('unsafe-target', `${current} is not a folder; refused.`);
  }
  const stats = await lstatOrNull(path);
  if (stats?.isSymbolicLink()) throw new UnsafeTargetError('unsafe-target', `${path} is a symbolic link; the helper does not write through links. Replace it with a regular file, then try again.`);
  if (stats && !stats.isFile()) throw new UnsafeTargetError('unsafe-target', `${path} is not a regular file; refused.`);
  return stats;
}

/** Reads a regular file without following a link at its last component; null when absent. */
export async function readRegular(path: string, maxBytes: number): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafeTargetError('unsafe-target', `${path} is a symbolic link; refused.`);
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new UnsafeTargetError('unsafe-target', `${path} is not a regular file; refused.`);
    if (stats.size > maxBytes) throw new UnsafeTargetError('unsafe-target', `${path} is larger than ${maxBytes} bytes; refused.`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function fsyncFolder(folder: string): Promise<void> {
  const handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces (or creates) `path` atomically with `content`, keeping the old file's mode and owner. */
export async function writeAtomically(path: string, content: string | Buffer, options: { mode?: number; faults?: WriteFaults } = {}): Promise<void> {
  const folder = dirname(path);
  const old = await lstatOrNull(path);
  await options.faults?.beforeWrite?.(path);
  const temp = join(folder, `.${basename(path)}.vespera-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, options.mode ?? old?.mode ?? 0o644);
  try {
    try {
      await handle.writeFile(content);
      if (old) {
        await handle.chmod(old.mode & 0o7777);
        if (process.getuid?.() === 0) await handle.chown(old.uid, old.gid);
      } else if (options.mode !== undefined) {
        await handle.chmod(options.mode);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.faults?.beforeRename?.(path);
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncFolder(folder);
  await options.faults?.afterRename?.(path);
}

export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return;
  }
  await fsyncFolder(dirname(path));
}

/** Removes temp files a killed helper left in `folder` (only ours, by their name pattern). */
export async function removeStaleTemps(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => TEMP.test(n))) {
    const stats = await lstatOrNull(join(folder, name));
    if (!stats?.isFile()) continue;
    await unlink(join(folder, name)).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

/** A private folder (0700) created step by step without following links. */
export async function ensurePrivateFolder(root: string, path: string): Promise<void> {
  await checkTarget(root, join(path, 'x'), true);
  const stats = await lstat(path);
  if ((stats.mode & 0o077) !== 0) await chmod(path, 0o700);
  if (process.getuid?.() === 0 && stats.uid !== 0) await chown(path, 0, 0);
}
