// Finds the Electron binary, downloading it on first use: `npm ci` does not run Electron's own
// download (scripts are off in .npmrc so installs succeed offline), so the first `npm start` does.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ELECTRON = join(import.meta.dirname, '..', 'node_modules', 'electron');

function installedPath(): string | undefined {
  try {
    const path = join(ELECTRON, 'dist', readFileSync(join(ELECTRON, 'path.txt'), 'utf8'));
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The binary's path. When it cannot be had, says why in one line and exits, or (exitOnFailure
 * false) throws so the caller can fall back to the web demo.
 */
export async function electronBinary(options: { exitOnFailure?: boolean } = {}): Promise<string> {
  const giveUp = (message: string): never => {
    console.error(message);
    if (options.exitOnFailure !== false) process.exit(1);
    throw new Error(message);
  };
  const found = installedPath();
  if (found) return found;
  console.error('vespera-updates: fetching the Electron binary (once)…');
  try {
    await promisify(execFile)(process.execPath, [join(ELECTRON, 'install.js')], { timeout: 300_000 });
  } catch (error) {
    const reason = ((error as { stderr?: string }).stderr ?? String(error)).trim().split('\n')[0];
    giveUp(`vespera-updates: the Electron binary could not be downloaded (${reason}); the web demo needs no Electron: npm run demo -- --web`);
  }
  return installedPath() ?? giveUp('vespera-updates: Electron reported success but its binary is missing; remove node_modules/electron and run npm ci.');
}
