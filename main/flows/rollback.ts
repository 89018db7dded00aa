// Guided rollback: what the host boots now against what it would roll back to (versions, dates,
// references, digests, the target's signature checked again now, package and source changes), a staged
// update that blocks it offered for removal first, then the rollback itself; the restart is the user's call.

import type { ChangesView, OperationOutcome, RollbackPreview } from '../../preload/contract.ts';
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

/** Rolls back (after discarding a staged update when asked); the restart is left to the user. */
export async function runRollback(session: FlowSession, options: { discardStaged: boolean }, emit: ProgressListener = () => {}): Promise<OperationOutcome> {
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
  emit({ operation: 'rollback', step: options.discardStaged && state.staged ? 'Discarding the staged update, then rolling back' : 'Rolling back' });
  try {
    const outcome = await followTransaction(await session.host.rollback({ discardStaged: options.discardStaged }), 'rollback', 'Rolling back', emit);
    if (!outcome.ok) {
      return { ok: false, code: outcome.error.code, message: outcome.error.message, hostState: session.host.state.staged ? 'A staged update is still there.' : 'The host boots the same system as before.' };
    }
    return {
      ok: true,
      message: `The next boot is ${target.version ?? target.imageDigest ?? target.checksum}${target.origin ? ` (${target.origin})` : ''}. Restart to roll back.`,
      rebootRequired: true,
      hostState: 'Rolled back; waiting for a restart.',
    };
  } catch (error) {
    return { ok: false, code: error instanceof HostError ? error.code : 'unknown', message: describeError(error), hostState: 'The host is as it was.' };
  }
}
