// Finds the Electron binary, downloading it on first use: `npm ci` does not run Electron's own
// download (scripts are off in .npmrc so installs succeed offline), so the first `npm start` does.
// Where that download fails and there is a way on without Electron (the browser demo), the failure is
// remembered for a week, so later starts go straight on instead of waiting on the network again.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const ELECTRON = join(import.meta.dirname, '..', 'node_modules', 'electron');
const RETRY_AFTER_MS = 7 * 24 * 3_600_000;
const DOWNLOAD_TIMEOUT_MS = 300_000;

export type ElectronLookup = { readonly found: true; readonly path: string } | { readonly found: false; readonly why: string };

/** What a failed download leaves behind: which Electron, when, and why. */
interface FailedDownload {
  readonly version: string;
  readonly at: string;
  readonly reason: string;
}

function electronVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ELECTRON, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Where the binary is, as electron's own index.js finds it (ELECTRON_OVERRIDE_DIST_PATH first). */
function installedPath(): string | undefined {
  let executable: string | undefined;
  try {
    executable = readFileSync(join(ELECTRON, 'path.txt'), 'utf8');
  } catch {
    executable = undefined;
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const path = override ? join(override, executable ?? 'electron') : executable ? join(ELECTRON, 'dist', executable) : undefined;
  return path && existsSync(path) ? path : undefined;
}

/** The note of a failed download: in the user's cache, beside Electron's own download cache. */
export function failureNotePath(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'vespera-updates', 'electron-download-failed.json');
}

function readNote(): FailedDownload | undefined {
  try {
    const note = JSON.parse(readFileSync(failureNotePath(), 'utf8')) as Partial<FailedDownload>;
    if (typeof note.version === 'string' && typeof note.at === 'string' && typeof note.reason === 'string') return note as FailedDownload;
  } catch {
    // No note, or not one of ours: try the download.
  }
  return undefined;
}

function day(iso: string | number): string {
  return new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
}

function whyNot(note: FailedDownload): string {
  const retry = new Date(note.at).getTime() + RETRY_AFTER_MS;
  return `the Electron binary could not be downloaded on ${day(note.at)} (${note.reason}); it is tried again from ${day(retry)}, or on the next start once ${failureNotePath()} is removed`;
}

async function download(): Promise<string | undefined> {
  try {
    await promisify(execFile)(process.execPath, [join(ELECTRON, 'install.js')], { timeout: DOWNLOAD_TIMEOUT_MS });
    return undefined;
  } catch (error) {
    const { stderr, killed } = error as { stderr?: string; killed?: boolean };
    if (killed) return `no answer within ${DOWNLOAD_TIMEOUT_MS / 1000} s`;
    return (stderr || String(error)).trim().split('\n')[0] ?? 'no reason given';
  }
}

/**
 * The binary, downloaded if need be. With `remember`, a failed download is noted and not tried again
 * for a week (or for another Electron version, or once the note is removed); the answer then says why
 * in one phrase, for the caller's one line.
 */
export async function findElectron(options: { readonly remember?: boolean } = {}): Promise<ElectronLookup> {
  const found = installedPath();
  if (found) return { found: true, path: found };
  const version = electronVersion();
  if (options.remember) {
    const note = readNote();
    if (note && note.version === version && Date.now() - new Date(note.at).getTime() < RETRY_AFTER_MS) return { found: false, why: whyNot(note) };
  }
  console.error('vespera-updates: fetching the Electron binary (once)…');
  const reason = await download();
  const path = installedPath();
  if (path) {
    rmSync(failureNotePath(), { force: true });
    return { found: true, path };
  }
  const failure = reason ?? 'Electron reported success but its binary is missing; remove node_modules/electron and run npm ci';
  if (!options.remember) return { found: false, why: `the Electron binary could not be downloaded (${failure})` };
  const note: FailedDownload = { version, at: new Date().toISOString(), reason: failure };
  try {
    mkdirSync(dirname(failureNotePath()), { recursive: true });
    writeFileSync(failureNotePath(), `${JSON.stringify(note)}\n`);
  } catch {
    // An unwritable cache only means the next start tries again.
  }
  return { found: false, why: whyNot(note) };
}

/** The binary's path for the tray app; when it cannot be had, says why in one line and exits. */
export async function electronBinary(): Promise<string> {
  const electron = await findElectron();
  if (electron.found) return electron.path;
  console.error(`vespera-updates: ${electron.why}; the app needs it on this host. Check the network and start again.`);
  process.exit(1);
}
