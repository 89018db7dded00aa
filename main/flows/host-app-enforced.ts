// App-enforced mode as host configuration: which repositories this host's /etc says the app enforces
// (written into an image by `image-setup`), merged with the per-user record for every reader.
//
// The one place that knows where the host record lives, until the privileged-helper verb that records
// app-enforced mode in /etc/vespera-updates/ (issue 11) replaces it: the update watch, the doctor and the
// automatic-updates service read app-enforced mode only through readEffectiveAppState.

import { join } from 'node:path';
import { appStateText, readAppState, readAppStateFile, type AppEnforcedImage, type AppState } from './app-state.ts';

/** Under the etc root: /etc/vespera-updates/app-enforced.json, in the same format as the user's state.json. */
export const HOST_APP_ENFORCED_FILE = join('vespera-updates', 'app-enforced.json');

export function hostAppEnforcedPath(etcRoot: string): string {
  return join(etcRoot, HOST_APP_ENFORCED_FILE);
}

/** The host record's text for these repositories (what image-setup writes). */
export function hostAppEnforcedText(repositories: readonly string[], since: Date): string {
  return appStateText({ appEnforced: repositories.map((repository) => ({ repository, since: since.toISOString() })) });
}

/** What the flows act on: the host's record first, then anything this user's own record adds. */
export async function readEffectiveAppState(where: { readonly policy: { readonly etcRoot: string }; readonly stateDir: string }): Promise<AppState> {
  const host = await readAppStateFile(hostAppEnforcedPath(where.policy.etcRoot));
  const user = await readAppState(where.stateDir);
  const known = new Set(host.appEnforced.map((e) => e.repository));
  const appEnforced: AppEnforcedImage[] = [...host.appEnforced, ...user.appEnforced.filter((e) => !known.has(e.repository))];
  return { ...user, appEnforced };
}
