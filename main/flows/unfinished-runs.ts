// The next run's duty: a run cut short (a second Ctrl-C, kill -9, a crash, a reboot) left its record
// behind; whoever runs next, any user, looks at what the host shows and finishes it or undoes it.
//
// Decisions come from the host, not the record: a migration the host shows complete is left alone, one
// that lacks only its host record is finished (after verifying the staged digest again), anything else
// is undone. A rollback cannot be undone, so it is only reported as far as it went.

import { runPolicyHelper } from '../policy/helper-client.ts';
import { describeError } from '../shared/errors.ts';
import { isVerified } from '../trust/index.ts';
import { plainRestartTarget } from './classification.ts';
import type { ImageChecks } from './image-checks.ts';
import { observeMigration, undoMigration } from './migration-undo.ts';
import type { ProgressListener } from './progress.ts';
import { markResolved, unfinishedRuns, type MigrationIntent, type RollbackIntent, type RunRecord } from './run-journal.ts';
import type { FlowSession } from './session.ts';
import { describeHolder, hostLockHolder } from './host-lock.ts';

/** How long the next run waits for rpm-ostree to finish a transaction the interrupted run started. */
const TRANSACTION_WAIT_MS = 10 * 60_000;

function started(record: RunRecord): string {
  return `started ${record.startedAt} by ${record.user ?? `uid ${record.uid}`}`;
}

async function transactionFinished(session: FlowSession, emit: ProgressListener): Promise<boolean> {
  if (!session.host.state.activeTransaction) return true;
  emit({ operation: 'migrate', step: 'Waiting for rpm-ostree to finish what an interrupted run started' });
  return await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, TRANSACTION_WAIT_MS);
    const off = session.host.onChange((state) => {
      if (state.activeTransaction) return;
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}

async function resolveMigration(session: FlowSession, checks: ImageChecks, record: RunRecord, emit: ProgressListener): Promise<{ resolved: boolean; line: string }> {
  const intent = record.intent as MigrationIntent;
  const what = `An interrupted migration to ${intent.to} (${intent.mode}, ${started(record)})`;
  let seen = await observeMigration(session, checks, intent);
  if (seen.state === 'as-before') return { resolved: true, line: `${what} had changed nothing. ${seen.sentence}` };
  if (seen.state === 'as-planned') return { resolved: true, line: `${what} had finished. ${seen.sentence}` };
  if (seen.code === 'enforcement-not-recorded' && intent.mode === 'app-enforced' && intent.recordsEnforcement === 'app') {
    const staged = session.host.state.staged;
    const check = staged ? await checks.checkDeployment(staged, { fresh: true }) : undefined;
    if (staged?.finalizationLocked && staged.imageDigest === intent.platformDigest && check && isVerified(check)) {
      emit({ operation: 'migrate', step: 'Finishing the interrupted migration: recording the enforcement mode' });
      try {
        await runPolicyHelper(session.helperSite, 'enforce', { enforce: { repository: intent.repository, mode: 'app' } });
      } catch (error) {
        return { resolved: false, line: `${what} is half done: the verified update is staged and held, but the host does not record that Vespera Updates enforces it, and recording it failed (${describeError(error)}). Run vespera-updates migrate again.` };
      }
      seen = await observeMigration(session, checks, intent);
      if (seen.state === 'as-planned') return { resolved: true, line: `${what} was finished: the verified update it staged verifies again, and the host now records app-enforced mode. ${seen.sentence}` };
    }
  }
  emit({ operation: 'migrate', step: 'Undoing an interrupted migration' });
  const { problems } = await undoMigration(session, record, emit);
  seen = await observeMigration(session, checks, intent);
  if (seen.state === 'as-before' && problems.length === 0) return { resolved: true, line: `${what} was left half done; it was undone. ${seen.sentence}` };
  return { resolved: false, line: `${what} was left half done, and undoing it did not complete${problems.length > 0 ? `: ${problems.join('; ')}` : ''}. ${seen.sentence}` };
}

function resolveRollback(session: FlowSession, record: RunRecord): { resolved: boolean; line: string } {
  const intent = record.intent as RollbackIntent;
  const next = plainRestartTarget(session.host.state);
  const what = `An interrupted rollback to ${intent.targetVersion ?? intent.targetId} (${started(record)})`;
  if (next?.id === intent.targetId) return { resolved: true, line: `${what} had finished: the next restart boots ${intent.targetVersion ?? intent.targetId}.` };
  const discarded = record.done.some((s) => s.step === 'staged-discarded') ? ' The staged update it discarded stays discarded.' : '';
  return { resolved: true, line: `${what} was not made: the next restart boots ${next?.booted ? 'the running system' : (next?.version ?? 'the default deployment')}.${discarded} Roll back again if you still want to.` };
}

/** Finishes or undoes every run an earlier interruption left; the caller holds the host lock. Returns what it said. */
export async function resolveUnfinishedRuns(session: FlowSession, checks: ImageChecks, emit: ProgressListener = () => {}): Promise<string[]> {
  const found = await unfinishedRuns(session.hostStateDir);
  if (found.length === 0) return [];
  if (!(await transactionFinished(session, emit))) {
    return ['An interrupted run is waiting for rpm-ostree, which is still busy; Vespera Updates will look at it again on its next run.'];
  }
  const lines: string[] = [];
  for (const entry of found) {
    const outcome = entry.record.intent.kind === 'migrate' ? await resolveMigration(session, checks, entry.record, emit) : resolveRollback(session, entry.record);
    lines.push(outcome.line);
    if (outcome.resolved) await markResolved(entry);
  }
  return lines;
}

/** What status shows without changing anything: a run under way, or the unfinished runs a changing run would resolve. */
export async function describeUnfinishedRuns(session: FlowSession): Promise<string[]> {
  const holder = await hostLockHolder(session.hostStateDir);
  if (holder?.pid === process.pid) return [];
  if (holder) return [`Another Vespera Updates run is changing this host now: ${describeHolder(holder)}. What it does shows here when it has finished.`];
  return (await unfinishedRuns(session.hostStateDir)).map(
    ({ record }) =>
      `An interrupted ${record.intent.kind === 'migrate' ? `migration to ${(record.intent).to}` : 'rollback'} (${started(record)}) is unfinished; the next run of Vespera Updates that changes the host (the app, or vespera-updates migrate, rollback or check --stage) finishes or undoes it.`,
  );
}
