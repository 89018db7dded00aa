// What the app does for the host when it starts, before it shows anything: finish or undo a run an
// interruption left, and move an app-enforced record an older version kept for one user to /etc.

import { runPolicyHelper } from '../policy/helper-client.ts';
import { isAppEnforced, readHostEnforcement } from '../policy/host-enforcement.ts';
import { describeError } from '../shared/errors.ts';
import { repositoryName } from '../shared/image-reference.ts';
import { readAppState, writeAppState } from './app-state.ts';
import { HostBusyError } from './host-lock.ts';
import { withHostRun } from './host-run.ts';
import { imageOf, type ImageChecks } from './image-checks.ts';
import type { FlowSession } from './session.ts';

/**
 * Moves this user's old per-user app-enforced record to the host's record (through the helper, which may
 * ask for a password once). Only images this host actually runs or stages are moved; the user's copy is
 * dropped once the host has them. Returns what it did, in words.
 */
export async function moveLegacyEnforcement(session: FlowSession): Promise<string[]> {
  const state = await readAppState(session.stateDir);
  if (state.legacyAppEnforced.length === 0) return [];
  const host = session.host.state;
  const deployed = new Set([host.booted, host.staged, host.rollback].map((d) => imageOf(d)).filter((i) => i !== undefined).map((i) => repositoryName(i)));
  const record = (await readHostEnforcement(session.policy)).record;
  const lines: string[] = [];
  const kept: string[] = [];
  for (const repository of state.legacyAppEnforced) {
    if (isAppEnforced(record, repository) || !deployed.has(repository)) continue;
    try {
      await runPolicyHelper(session.helperSite, 'enforce', { enforce: { repository, mode: 'app' } });
      lines.push(`App-enforced mode for ${repository} was recorded for this user only; it is now recorded for the whole host.`);
    } catch (error) {
      kept.push(repository);
      lines.push(`App-enforced mode for ${repository} is still recorded for this user only: moving it to the host failed (${describeError(error)}).`);
    }
  }
  await writeAppState(session.stateDir, { ...state, legacyAppEnforced: kept });
  return lines;
}

/** At start: resolve unfinished runs and move the old record, unless another run holds the host. */
export async function startupHousekeeping(session: FlowSession, checks: ImageChecks, log: (line: string) => void = () => {}): Promise<void> {
  try {
    await withHostRun(session, checks, 'start', async () => {
      for (const line of await moveLegacyEnforcement(session)) log(line);
    }, { onResolved: (lines) => lines.forEach(log) });
  } catch (error) {
    if (error instanceof HostBusyError) log(`${error.message} Vespera Updates looks again at its next start.`);
    else log(`Housekeeping at start failed: ${describeError(error)}`);
  }
}
