// What the app remembers for this user across runs: which images it enforces itself (app-enforced
// mode: the OS cannot check a keyless GitHub identity) and the automatic-staging choice.
//
// Kept in $XDG_STATE_HOME/vespera-updates/state.json; a damaged file counts as empty, so the worst it
// can do is show the host as unverified again, which the user can fix by migrating once more.

import { join } from 'node:path';
import { readFileLimited } from '../shared/bounded.ts';
import { writeUserFile } from '../shared/user-files.ts';

export interface AppEnforcedImage {
  /** Repository name, `registry/owner/name`. */
  readonly repository: string;
  readonly since: string;
}

export interface AppState {
  readonly appEnforced: readonly AppEnforcedImage[];
  /** The user's choice in Settings; undefined: the configuration decides. */
  readonly automaticStaging?: boolean;
}

const VERSION = 1;
const MAX_BYTES = 64 * 1024;
const MAX_IMAGES = 64;
export const EMPTY_STATE: AppState = { appEnforced: [] };

export function stateFile(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export async function readAppState(stateDir: string): Promise<AppState> {
  return await readAppStateFile(stateFile(stateDir));
}

/** Reads a file in the state format (also the host record, see host-app-enforced.ts); damaged or absent: empty. */
export async function readAppStateFile(path: string): Promise<AppState> {
  let data: unknown;
  try {
    data = JSON.parse((await readFileLimited(path, MAX_BYTES)).toString('utf8'));
  } catch {
    return EMPTY_STATE;
  }
  if (typeof data !== 'object' || data === null || (data as { version?: unknown }).version !== VERSION) return EMPTY_STATE;
  const { appEnforced, automaticStaging } = data as { appEnforced?: unknown; automaticStaging?: unknown };
  const images = Array.isArray(appEnforced)
    ? appEnforced
        .filter((e): e is AppEnforcedImage => typeof e === 'object' && e !== null && typeof (e as AppEnforcedImage).repository === 'string' && typeof (e as AppEnforcedImage).since === 'string')
        .filter((e) => e.repository.length <= 512 && e.since.length <= 64)
        .slice(0, MAX_IMAGES)
        .map((e) => ({ repository: e.repository, since: e.since }))
    : [];
  return { appEnforced: images, ...(typeof automaticStaging === 'boolean' ? { automaticStaging } : {}) };
}

export async function writeAppState(stateDir: string, state: AppState): Promise<void> {
  await writeUserFile(stateFile(stateDir), appStateText(state));
}

export function appStateText(state: AppState): string {
  return `${JSON.stringify({ version: VERSION, ...state }, null, 1)}\n`;
}

export function isAppEnforced(state: AppState, repository: string): boolean {
  return state.appEnforced.some((e) => e.repository === repository);
}

export function withAppEnforced(state: AppState, repository: string, since: Date): AppState {
  if (isAppEnforced(state, repository)) return state;
  return { ...state, appEnforced: [...state.appEnforced, { repository, since: since.toISOString() }].slice(-MAX_IMAGES) };
}

export function withoutAppEnforced(state: AppState, repository: string): AppState {
  return { ...state, appEnforced: state.appEnforced.filter((e) => e.repository !== repository) };
}
