// Guided rollback: what the host boots now against what it would roll back to (versions, dates,
// references, digests, the target's signature checked again now, package and source changes), a staged
// update that blocks it offered for removal first, then the rollback itself; the restart is the user's call.

import type { ChangesView, OperationOutcome, RollbackPreview } from '../../preload/contract.ts';
import { plainRestartTarget } from './classification.ts';
import { RunJournal } from './run-journal.ts';
import { HostError, type Deployment } from '../host/index.ts';
import { describeError } from '../shared/errors.ts';
import { changesBetween } from './changes.ts';
import type { ImageChecks } from './image-checks.ts';
import { followTransaction, type ProgressListener } from './progress.ts';
import type { FlowSession } from './session.ts';
import { deploymentView, signatureView, type CheckState } from './views.ts';

export interface RollbackPlan {
  readonly booted?: Deployment;
  readonly target?: Deployment;
  readonly staged?: Deployment;
  readonly checks: ReadonlyMap<string, CheckState>;
  /** From the booted deployment to the rollback target (rpm-ostree's package diff, the certificates' source). */
  readonly changes?: ChangesView;
  readonly canRun: boolean;
  readonly blockedBy?: string;
}

export async function planRollback(session: FlowSession, checks: ImageChecks): Promise<RollbackPlan> {
  const state = session.host.state;
  const results = new Map<string, CheckState>();
  for (const d of [state.booted, state.rollback, state.staged]) {
    if (!d) continue;
    const result = await checks.checkDeployment(d, { fresh: d === state.rollback });
    results.set(d.id, result ? { status: 'done', result, at: session.now() } : { status: 'not-applicable', why: 'Not a registry image: its signature is checked by ostree, not by Vespera Updates.' });
  }
  const changes =
    state.booted && state.rollback && state.daemon === 'running'
      ? await changesBetween(
          session.host,
          session.config.changes.headline,
          { deployment: state.booted, signature: signatureView(results.get(state.booted.id)) },
          { deployment: state.rollback, signature: signatureView(results.get(state.rollback.id)) },
        )
      : undefined;
  const base = {
    ...(state.booted ? { booted: state.booted } : {}),
    ...(state.rollback ? { target: state.rollback } : {}),
    ...(state.staged ? { staged: state.staged } : {}),
    checks: results,
    ...(changes ? { changes } : {}),
  };
  if (state.daemon !== 'running') return { ...base, canRun: false, blockedBy: 'rpm-ostreed is not running; start it (systemctl start rpm-ostreed) and try again.' };
  if (state.activeTransaction) return { ...base, canRun: false, blockedBy: `rpm-ostree is busy (${state.activeTransaction.method}); wait until it has finished.` };
  if (!state.rollback) return { ...base, canRun: false, blockedBy: 'There is no previous deployment to roll back to.' };
  // A staged update blocks rpm-ostree's rollback; the preview offers to discard it first.
  return { ...base, canRun: true };
}

export function rollbackPreview(plan: RollbackPlan): RollbackPreview {
  const view = (d: Deployment, role: 'booted' | 'rollback' | 'staged') => deploymentView(d, role, signatureView(plan.checks.get(d.id)));
  return {
    ...(plan.booted ? { booted: view(plan.booted, 'booted') } : { booted: { id: '', role: 'booted', transport: 'other', pinned: false, finalizationLocked: false, signature: { status: 'not-checked' } } }),
    ...(plan.target ? { target: view(plan.target, 'rollback') } : {}),
    ...(plan.staged ? { blockedByStaged: view(plan.staged, 'staged') } : {}),
    ...(plan.changes ? { changes: plan.changes } : {}),
    canRun: plan.canRun && !plan.staged,
    ...(plan.blockedBy ? { blockedBy: plan.blockedBy } : plan.staged ? { blockedBy: 'A staged update blocks the rollback: discard it first.' } : {}),
  };
}

/**
 * Rolls back (after discarding a staged update when asked); the restart is left to the user. The intent
 * is written down first; an interrupt during the discard stops before the rollback itself. What the host
 * then boots next decides what is said.
 */
export async function runRollback(
  session: FlowSession,
  options: { discardStaged: boolean },
  emit: ProgressListener = () => {},
  run: { signal?: AbortSignal } = {},
): Promise<OperationOutcome> {
  const state = session.host.state;
  const target = state.rollback;
  if (!target) return { ok: false, code: 'no-rollback', message: 'There is no previous deployment to roll back to.', hostState: 'The host is as it was.' };
  if (state.staged && !options.discardStaged) {
    return {
      ok: false,
      code: 'staged-blocks-rollback',
      message: `A staged update (${state.staged.version ?? state.staged.imageDigest ?? ''}) blocks the rollback; discard it first.`,
      hostState: 'The host is as it was.',
    };
  }
  const name = target.version ?? target.imageDigest ?? target.checksum;
  let journal: RunJournal;
  try {
    journal = await RunJournal.begin(
      session.hostStateDir,
      { kind: 'rollback', discardStaged: options.discardStaged && state.staged !== undefined, targetId: target.id, ...(target.version ? { targetVersion: target.version } : {}), ...(state.booted ? { bootedId: state.booted.id } : {}) },
      session.now(),
    );
  } catch (error) {
    return { ok: false, code: 'journal-unwritable', message: `Vespera Updates could not write down what it is about to do (${describeError(error)}), so it changed nothing.`, hostState: 'The host is as it was.' };
  }
  const after = (ok: boolean, code: string | undefined, message: string): OperationOutcome => {
    const next = plainRestartTarget(session.host.state);
    const rolledBack = next?.id === target.id;
    const staged = session.host.state.staged;
    const hostState = rolledBack
      ? `Rolled back: the next restart boots ${name}.`
      : `Not rolled back: the next restart boots ${next?.booted ? 'the running system' : (next?.version ?? 'the default deployment')}${staged ? `, and an update (${staged.version ?? staged.imageDigest ?? ''}) is still staged` : ''}.`;
    return { ok: ok && rolledBack, ...(code || !rolledBack ? { code: code ?? 'not-rolled-back' } : {}), message: `${message} ${hostState}`, ...(rolledBack ? { rebootRequired: true } : {}), hostState };
  };
  try {
    if (options.discardStaged && state.staged) {
      emit({ operation: 'rollback', step: 'Discarding the staged update' });
      const discarded = await followTransaction(await session.host.cleanup(['pending-deploy']), 'rollback', 'Discarding the staged update', emit);
      if (!discarded.ok) return after(false, discarded.error.code, discarded.error.message);
      await journal.completed({ step: 'staged-discarded' });
      if (run.signal?.aborted) return after(false, 'interrupted', 'Interrupted: the staged update was discarded, and the rollback was not started.');
    }
    emit({ operation: 'rollback', step: 'Rolling back' });
    const outcome = await followTransaction(await session.host.rollback({ discardStaged: false }), 'rollback', 'Rolling back', emit);
    if (!outcome.ok) return after(false, outcome.error.code, outcome.error.message);
    await journal.completed({ step: 'rolled-back' });
    return after(true, undefined, run.signal?.aborted ? 'You interrupted while rolling back; the rollback had already been made.' : 'Restart to roll back.');
  } catch (error) {
    return after(false, error instanceof HostError ? error.code : 'unknown', describeError(error));
  } finally {
    await journal.finish();
  }
}
