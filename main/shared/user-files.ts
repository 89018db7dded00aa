// Files the app keeps: where the user's live ($XDG_STATE_HOME/vespera-updates) and writing them so a
// crash leaves the old file whole (temporary file, fsync, rename), readable by the user only by default.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';

/** `$XDG_STATE_HOME/vespera-updates`; XDG says to ignore a relative XDG_STATE_HOME. */
export function userStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const stateHome = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(stateHome, 'vespera-updates');
}

/**
 * Replaces `file` with `text` atomically; the folder is created (mode 0700) when missing. `mode` 0644
 * is for files other users must read (the host's run records), in a folder that already exists.
 */
export async function writeUserFile(file: string, text: string, options: { mode?: 0o600 | 0o644 } = {}): Promise<void> {
  const temp = join(dirname(file), `.${randomBytes(6).toString('hex')}.${basename(file)}.tmp`);
  const mode = options.mode ?? 0o600;
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const handle = await open(temp, 'wx', mode);
    // The umask must not narrow what others may read.
    await handle.chmod(mode);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}
