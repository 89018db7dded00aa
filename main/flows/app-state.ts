// What the app remembers for this user across runs: the automatic-staging choice made in Settings, and
// (from versions before enforcement became host configuration) a per-user list of app-enforced images.
//
// Kept in $XDG_STATE_HOME/vespera-updates/state.json; a damaged file counts as empty. Which images the
// app enforces lives in /etc/vespera-updates/enforcement.json now (main/policy/host-enforcement.ts);
// the old per-user list is only read, to move it there once (host-housekeeping.ts).

import { join } from 'node:path';
import { readFileLimited } from '../shared/bounded.ts';
import { writeUserFile } from '../shared/user-files.ts';

export interface AppState {
  /** The user's choice in Settings; undefined: the configuration decides. */
  readonly automaticStaging?: boolean;
  /** Repositories an older version recorded as app-enforced for this user only; moved to the host record. */
  readonly legacyAppEnforced: readonly string[];
}

const VERSION = 1;
const MAX_BYTES = 64 * 1024;
const MAX_IMAGES = 64;
export const EMPTY_STATE: AppState = { legacyAppEnforced: [] };

export function stateFile(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export async function readAppState(stateDir: string): Promise<AppState> {
  let data: unknown;
  try {
    data = JSON.parse((await readFileLimited(stateFile(stateDir), MAX_BYTES)).toString('utf8'));
  } catch {
    return EMPTY_STATE;
  }
  if (typeof data !== 'object' || data === null || (data as { version?: unknown }).version !== VERSION) return EMPTY_STATE;
  const { appEnforced, automaticStaging } = data as { appEnforced?: unknown; automaticStaging?: unknown };
  const legacy = Array.isArray(appEnforced)
    ? appEnforced
        .map((e: unknown) => (typeof e === 'object' && e !== null ? (e as { repository?: unknown }).repository : undefined))
        .filter((r): r is string => typeof r === 'string' && r.length <= 512)
        .slice(0, MAX_IMAGES)
    : [];
  return { legacyAppEnforced: legacy, ...(typeof automaticStaging === 'boolean' ? { automaticStaging } : {}) };
}

export async function writeAppState(stateDir: string, state: AppState): Promise<void> {
  const legacy = state.legacyAppEnforced.length > 0 ? { appEnforced: state.legacyAppEnforced.map((repository) => ({ repository })) } : {};
  const choice = state.automaticStaging !== undefined ? { automaticStaging: state.automaticStaging } : {};
  await writeUserFile(stateFile(stateDir), `${JSON.stringify({ version: VERSION, ...choice, ...legacy }, null, 1)}\n`);
}
