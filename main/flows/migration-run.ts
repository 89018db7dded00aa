// Running a reviewed migration plan: the intent written down before anything changes, each step
// recorded as it completes, an interrupt (Ctrl-C, SIGTERM) finishing the step under way and undoing the
// rest, any failure undone, and a final look at the host that decides what the outcome says.

import { HostError, type Transaction } from '../host/index.ts';
import { runPolicyHelper } from '../policy/helper-client.ts';
import { helperPlanOf, sha256Text } from '../policy/plan.ts';
import { fileSha256 } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import { formatDockerReference, repositoryName } from '../shared/image-reference.ts';
import { isVerified } from '../trust/index.ts';
import { failureOf, type ImageChecks, type ResolvedImage } from './image-checks.ts';
import type { MigrationMode, MigrationPlan } from './migration.ts';
import { observeMigration, undoMigration, type HostObservation } from './migration-undo.ts';
import { followTransaction, type ProgressListener } from './progress.ts';
import { RunJournal, type MigrationIntent } from './run-journal.ts';
import type { FlowSession } from './session.ts';
import { isAppEnforced, readHostEnforcement } from '../policy/host-enforcement.ts';

export interface MigrationOutcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly message: string;
  readonly mode: MigrationMode;
  /** The digest that was verified (what the tag named; an index for multi-platform images). */
  readonly verifiedDigest?: MigrationIntent['verifiedDigest'];
  /** The manifest this host boots from it, and what rpm-ostree staged. */
  readonly platformDigest?: MigrationIntent['platformDigest'];
  readonly stagedDigest?: string;
  readonly finalizationLocked?: boolean;
  /** The origin the host boots next. */
  readonly newOrigin?: string;
  readonly policyBackup?: string;
  /** `as-planned`, `as-before` (everything undone), or `unknown` (the host shows neither: see message). */
  readonly hostState: 'as-planned' | 'as-before' | 'unknown';
  readonly rebootRequired: boolean;
  /** The run was interrupted (SIGINT/SIGTERM) and stopped after the step under way. */
  readonly interrupted?: boolean;
}

export interface RunOptions {
  /** Aborted when the person interrupts: the step under way finishes, then the rest is undone. */
  readonly signal?: AbortSignal;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What a host observation means for the outcome, in one sentence. */
function where(observation: HostObservation): string {
  return observation.sentence;
}

/** Runs a reviewed plan. Any failure or interrupt undoes what this run changed; the host decides what is said. */
export async function runMigration(session: FlowSession, checks: ImageChecks, plan: MigrationPlan, emit: ProgressListener = () => {}, options: RunOptions = {}): Promise<MigrationOutcome> {
  const base = {
    mode: plan.mode,
    rebootRequired: false,
    ...(plan.target ? { verifiedDigest: plan.target.digest, platformDigest: plan.target.platformDigest } : {}),
  };
  const refused = (code: string, message: string): MigrationOutcome => ({ ok: false, code, message, hostState: 'as-before', ...base });
  if (!plan.canRun || !plan.image || !plan.target) return refused('migration-blocked', plan.blockedBy ?? 'This migration cannot run.');
  const image = plan.image;
  const planned = plan.target;
  const step = (name: string, message?: string): void => emit({ operation: 'migrate', step: name, ...(message ? { message } : {}) });
  const state = session.host.state;
  if (state.staged) return refused('staged-exists', 'An update was staged since the plan was made; restart into it or discard it, then plan again. Nothing was changed.');
  if (state.activeTransaction) return refused('busy', `rpm-ostree is busy (${state.activeTransaction.method}); try again when it has finished. Nothing was changed.`);

  if (plan.mode !== 'unverified') {
    step('Verifying the target image');
    let now: ResolvedImage;
    try {
      now = await checks.resolve(image);
    } catch (error) {
      return refused(failureOf(image, error).code, `${failureOf(image, error).message} Nothing was changed.`);
    }
    if (now.digest !== planned.digest) {
      return refused('target-changed', `${formatDockerReference(image)} changed since you reviewed the plan (now ${now.digest}); review the new plan. Nothing was changed.`);
    }
    const verification = await checks.checkResolved(now, { fresh: true });
    if (!isVerified(verification)) return refused(verification.code, `${verification.message} Nothing was changed.`);
  }
  if (options.signal?.aborted) return refused('interrupted', 'Interrupted before anything was changed; the host is exactly as it was.');

  const repository = repositoryName(image);
  const record = await readHostEnforcement(session.policy);
  const wantedRecord = plan.mode === 'app-enforced' ? 'app' : plan.mode === 'unverified' ? 'none' : undefined;
  const recordsEnforcement = wantedRecord && isAppEnforced(record.record, repository) !== (wantedRecord === 'app') ? wantedRecord : undefined;
  const sameOrigin = state.booted?.origin === plan.to;
  const alreadyBooted = plan.mode === 'app-enforced' && sameOrigin && state.booted?.imageDigest === planned.platformDigest;
  const intent: MigrationIntent = {
    kind: 'migrate',
    mode: plan.mode,
    from: state.booted?.origin ?? plan.from,
    to: plan.to,
    repository,
    verifiedDigest: planned.digest,
    platformDigest: planned.platformDigest,
    policyBefore: await fileSha256(session.policy.policyFile),
    enforcementBefore: await fileSha256(session.policy.enforcementFile),
    writesPolicy: plan.mode === 'key-enforced' && (plan.keyPlan?.changes.length ?? 0) > 0,
    ...(plan.mode === 'key-enforced' && plan.keyPlan ? { policyWrites: plan.keyPlan.changes.map((c) => ({ hostPath: c.hostPath, sha256: sha256Text(c.after) })) } : {}),
    ...(recordsEnforcement ? { recordsEnforcement } : {}),
  };
  let journal: RunJournal;
  try {
    journal = await RunJournal.begin(session.hostStateDir, intent, session.now());
  } catch (error) {
    return refused('journal-unwritable', `Vespera Updates could not write down what it is about to do (${describeError(error)}), so it changed nothing.`);
  }

  /** Undoes every step done, then looks at the host; the observation decides what is said. */
  const undoAll = async (code: string, cause: string, interrupted = false): Promise<MigrationOutcome> => {
    step('Undoing the migration');
    const { undone: steps, problems } = await undoMigration(session, journal.record, emit);
    const seen = await observeMigration(session, checks, intent);
    const undone = seen.state === 'as-before';
    if (undone && problems.length === 0) await journal.finish();
    const lead = interrupted ? 'Interrupted' : 'The migration failed';
    const didUndo = steps.length > 0 ? `${capitalise(steps.join(', '))}. ` : '';
    const message = `${lead}: ${cause} ${didUndo}${problems.length > 0 ? `Undoing it partly failed: ${problems.join('; ')}. ` : ''}${where(seen)}${undone ? '' : ' The next run of Vespera Updates will try to finish undoing it.'}`;
    return { ok: false, code, message, hostState: undone ? 'as-before' : 'unknown', ...base, ...(interrupted ? { interrupted } : {}) };
  };
  const interruptedAfter = (what: string): Promise<MigrationOutcome> | undefined =>
    options.signal?.aborted ? undoAll('interrupted', `${what} had finished when you interrupted; everything this migration changed is being undone.`, true) : undefined;

  // 1. The signature policy (key mode), through the privileged helper.
  let policyBackup: string | undefined;
  if (intent.writesPolicy && plan.keyPlan) {
    step('Writing the signature policy', 'The privileged helper writes policy.json, registries.d and the key (a password may be asked).');
    await journal.starting('policy');
    try {
      const reply = await runPolicyHelper(session.helperSite, 'apply', { plan: helperPlanOf(plan.keyPlan) });
      policyBackup = reply.backup;
      await journal.completed({ step: 'policy-written', ...(reply.backup ? { backup: reply.backup } : {}) });
    } catch (error) {
      return await undoAll((error as { code?: string }).code ?? 'policy-helper', `The signature policy was not written: ${describeError(error)}`);
    }
    const stop = interruptedAfter('Writing the signature policy');
    if (stop) return await stop;
  }

  // 2. The deployment: rebase (key mode, back to unverified) or the verified digest, held (app mode).
  if (!alreadyBooted) {
    const title = plan.mode === 'app-enforced' ? 'Deploying the verified digest, held' : `Rebasing to ${plan.to}`;
    await journal.starting('transaction');
    let transaction: Transaction;
    try {
      transaction =
        plan.mode === 'app-enforced'
          ? sameOrigin
            ? await session.host.deployDigest(planned.digest, { lockFinalization: true })
            : await session.host.rebase(plan.to, { revision: planned.digest, lockFinalization: true })
          : await session.host.rebase(plan.to);
      await journal.completed({ step: 'transaction-started', what: title });
    } catch (error) {
      const message = error instanceof HostError ? error.message : describeError(error);
      return await undoAll((error as { code?: string }).code ?? 'unknown', `rpm-ostree refused: ${message}`);
    }
    // Once started, rpm-ostree finishes the transaction whoever waits for it: so does this run.
    const outcome = await followTransaction(transaction, 'migrate', title, emit);
    const staged = session.host.state.staged;
    if (staged) await journal.completed({ step: 'staged', deploymentId: staged.id, ...(staged.imageDigest ? { digest: staged.imageDigest } : {}), locked: staged.finalizationLocked });
    if (!outcome.ok) return await undoAll(outcome.error.code, `${outcome.error.message}${outcome.error.detail ? ` (${outcome.error.detail})` : ''}`);
    if (!staged) return await undoAll('nothing-staged', `rpm-ostree finished without staging anything (${outcome.messages.at(-1) ?? 'no message'}).`);
    const stop = interruptedAfter(title);
    if (stop) return await stop;
  }

  // 3. App-enforced mode is host configuration: recorded for every user, through the helper.
  if (recordsEnforcement) {
    step('Recording the enforcement mode for this host', 'The privileged helper writes /etc/vespera-updates/enforcement.json (a password may be asked).');
    await journal.starting('enforcement');
    try {
      const reply = await runPolicyHelper(session.helperSite, 'enforce', { enforce: { repository, mode: recordsEnforcement } });
      await journal.completed({ step: 'enforcement-recorded', ...(reply.backup ? { backup: reply.backup } : {}) });
    } catch (error) {
      return await undoAll(
        (error as { code?: string }).code ?? 'policy-helper',
        `Vespera Updates could not record for this host that it ${recordsEnforcement === 'app' ? 'enforces' : 'no longer enforces'} this image (${describeError(error)}).`,
      );
    }
  }

  // 4. The final check decides: what rpm-ostree staged is exactly what was verified, in the mode claimed.
  step('Checking what was staged');
  const seen = await observeMigration(session, checks, intent);
  if (seen.state !== 'as-planned') return await undoAll(seen.code ?? 'staged-not-verified', seen.sentence);
  await journal.finish();
  const staged = session.host.state.staged;
  const message =
    plan.mode === 'key-enforced'
      ? `Migrated: the next boot follows ${plan.to}, and the OS now refuses updates the publisher key did not sign. Reboot to apply.`
      : plan.mode === 'app-enforced'
        ? alreadyBooted
          ? 'This host already runs the verified digest; Vespera Updates now verifies every update before it is staged.'
          : 'Migrated: the verified digest is staged and held; restart from Vespera Updates to apply it. Vespera Updates verifies every update from now on.'
        : `The next boot follows ${plan.to}, which nothing verifies. Reboot to apply; migrate back to signed as soon as you can.`;
  const late = options.signal?.aborted ? ' (You interrupted during the last step; it had finished, so the migration stands as planned.)' : '';
  return {
    ok: true,
    message: `${message}${late}`,
    ...base,
    ...(staged?.imageDigest ? { stagedDigest: staged.imageDigest, finalizationLocked: staged.finalizationLocked } : {}),
    newOrigin: staged?.origin ?? plan.to,
    ...(policyBackup ? { policyBackup } : {}),
    hostState: 'as-planned',
    rebootRequired: !alreadyBooted,
  };
}
