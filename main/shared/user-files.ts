// Files the app keeps for the user: where they live ($XDG_STATE_HOME/vespera-updates) and writing
// them so a crash leaves the old file whole (temporary file, fsync, rename), readable by the user only.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';

/** `$XDG_STATE_HOME/vespera-updates`; XDG says to ignore a relative XDG_STATE_HOME. */
export function userStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const stateHome = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(stateHome, 'vespera-updates');
}

/** Replaces `file` with `text` atomically; the folder is created (mode 0700) when missing. */
export async function writeUserFile(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${randomBytes(6).toString('hex')}.${basename(file)}.tmp`);
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const handle = await open(temp, 'wx', 0o600);
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
