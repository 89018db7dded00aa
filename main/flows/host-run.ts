// The frame every run that changes the host goes through (CLI, tray, any user): take the host-wide lock,
// finish or undo whatever an earlier run left unfinished, do the work, let go of the lock.

import { takeHostLock, type HostLock } from './host-lock.ts';
import type { ImageChecks } from './image-checks.ts';
import type { ProgressListener } from './progress.ts';
import type { FlowSession } from './session.ts';
import { resolveUnfinishedRuns } from './unfinished-runs.ts';

export interface HostRunOptions {
  readonly emit?: ProgressListener;
  /** How long to wait for another run to finish before refusing (default: refuse at once). */
  readonly waitMs?: number;
  /** Told what was found and done about runs an interrupt, a crash or a reboot left unfinished. */
  readonly onResolved?: (lines: readonly string[]) => void;
}

/** Runs `work` holding the host lock, after resolving unfinished runs; throws HostBusyError when held. */
export async function withHostRun<T>(session: FlowSession, checks: ImageChecks, operation: string, work: () => Promise<T>, options: HostRunOptions = {}): Promise<T> {
  const lock: HostLock = await takeHostLock(session.hostStateDir, operation, { ...(options.waitMs !== undefined ? { waitMs: options.waitMs } : {}), now: session.now });
  try {
    const lines = await resolveUnfinishedRuns(session, checks, options.emit);
    if (lines.length > 0) options.onResolved?.(lines);
    return await work();
  } finally {
    await lock.release();
  }
}
