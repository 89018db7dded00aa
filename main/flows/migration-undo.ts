// What a migration did, seen on the host, and undoing it: used at the end of every run (the final check
// decides the outcome) and by the next run when one was cut short (a crash, a kill, a reboot).
//
// Undo works from the run's record and from what the host shows, never from memory: a staged deployment
// is removed only when it is the run's own, files are put back only when they differ from before.

import { runPolicyHelper } from '../policy/helper-client.ts';
import { isAppEnforced, readHostEnforcement } from '../policy/host-enforcement.ts';
import { restoreConsentOfHashes } from '../policy/policy-backups.ts';
import { inspectPolicy } from '../policy/policy-report.ts';
import { fileSha256 } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import { parseDockerReference } from '../shared/image-reference.ts';
import { isVerified } from '../trust/index.ts';
import type { ImageChecks } from './image-checks.ts';
import type { ProgressListener } from './progress.ts';
import type { MigrationIntent, RunRecord } from './run-journal.ts';
import type { FlowSession } from './session.ts';

export interface HostObservation {
  readonly state: 'as-planned' | 'as-before' | 'partial';
  /** A failure code when the host shows the run neither done nor undone. */
  readonly code?: string;
  /** Where the host stands, in one or two sentences a person can act on. */
  readonly sentence: string;
}

/** The deployment this run staged, when the host still has it. */
function runsStaged(session: FlowSession, intent: MigrationIntent): { id: string; imageDigest?: string; finalizationLocked: boolean; origin?: string } | undefined {
  const staged = session.host.state.staged;
  if (!staged) return undefined;
  const ours = staged.origin === intent.to || (intent.platformDigest !== undefined && staged.imageDigest === intent.platformDigest);
  return ours ? staged : undefined;
}

/** Looks at the host: is this migration done as planned, undone, or neither (and then what is left). */
export async function observeMigration(session: FlowSession, checks: ImageChecks, intent: MigrationIntent): Promise<HostObservation> {
  const host = session.host.state;
  const staged = host.staged;
  const policyNow = await fileSha256(session.policy.policyFile);
  const enforcementNow = await fileSha256(session.policy.enforcementFile);
  const record = (await readHostEnforcement(session.policy)).record;
  const appEnforced = isAppEnforced(record, intent.repository);

  if (!staged && policyNow === intent.policyBefore && enforcementNow === intent.enforcementBefore && host.booted?.origin === intent.from) {
    const alreadyRan = intent.mode === 'app-enforced' && host.booted?.imageDigest === intent.platformDigest && appEnforced;
    if (!alreadyRan) return { state: 'as-before', sentence: 'The host is exactly as it was: nothing is staged, and policy.json and the enforcement record are unchanged.' };
  }

  const left: string[] = [];
  let code: string | undefined;
  const target = staged ?? (host.booted?.origin === intent.to ? host.booted : undefined);
  if (!target || target.origin !== intent.to) {
    left.push(staged ? `rpm-ostree staged ${staged.origin ?? 'another image'} instead of ${intent.to}` : `nothing is staged from ${intent.to}`);
    code = 'nothing-staged';
  } else if (intent.mode === 'app-enforced') {
    if (target.imageDigest !== intent.platformDigest) {
      left.push(`rpm-ostree staged ${target.imageDigest ?? 'an unknown digest'}, not the verified ${intent.platformDigest ?? ''}`);
      code = 'staged-not-verified';
    }
    if (target === staged && !staged.finalizationLocked) {
      left.push('the staged deployment is not held, so any restart would boot it');
      code ??= 'not-held';
    }
    if (!appEnforced) {
      left.push('the host does not record that Vespera Updates enforces this image');
      code ??= 'enforcement-not-recorded';
    }
  } else if (intent.mode === 'key-enforced') {
    if (target.imageDigest !== intent.platformDigest) {
      // The OS pulled the tag again: the OS enforced the key; the app checks the new digest too.
      const check = await checks.checkDeployment(target, { fresh: true });
      if (!check || !isVerified(check)) {
        left.push(`rpm-ostree staged ${target.imageDigest ?? 'an unknown digest'}, not the verified ${intent.platformDigest ?? ''}, and it does not verify${check && !isVerified(check) ? `: ${check.message}` : ''}`);
        code = 'staged-not-verified';
      }
    }
    const report = await inspectPolicy(session.policy, parseDockerReference(intent.repository));
    if (report.image?.imageSigned.outcome !== 'requires-signature' || !report.image.attachments?.enabled) {
      left.push('/etc/containers/policy.json does not require the publisher key for this image');
      code ??= 'policy-not-enforced';
    }
  } else if (appEnforced) {
    left.push('the host still records that Vespera Updates enforces this image');
    code = 'enforcement-not-recorded';
  }
  if (left.length === 0) {
    return { state: 'as-planned', sentence: `The next restart boots ${target?.imageDigest ?? intent.to} from ${intent.to}.` };
  }
  const changed = [
    staged ? `a deployment is staged (${staged.origin ?? ''} ${staged.imageDigest ?? ''})` : '',
    policyNow !== intent.policyBefore ? 'policy.json was changed' : '',
    enforcementNow !== intent.enforcementBefore ? 'the enforcement record was changed' : '',
  ].filter(Boolean);
  return { state: 'partial', code: code ?? 'unknown', sentence: `The host is neither as it was nor as planned: ${left.join('; ')}${changed.length > 0 ? ` (now: ${changed.join(', ')})` : ''}.` };
}

/** Undoes what the record says the run did (and what the host shows it did): what was undone, and what could not be. */
export async function undoMigration(session: FlowSession, record: RunRecord, emit: ProgressListener = () => {}): Promise<{ undone: string[]; problems: string[] }> {
  const intent = record.intent as MigrationIntent;
  const problems: string[] = [];
  const undone: string[] = [];
  const step = (name: string): void => emit({ operation: 'migrate', step: name });

  if (runsStaged(session, intent)) {
    step('Removing the staged deployment');
    try {
      const outcome = await (await session.host.cleanup(['pending-deploy'])).done;
      if (!outcome.ok) problems.push(`the staged deployment could not be removed (${outcome.error.message}); discard it with: rpm-ostree cleanup -p`);
      else undone.push('the staged deployment was removed');
    } catch (error) {
      problems.push(`the staged deployment could not be removed (${describeError(error)}); discard it with: rpm-ostree cleanup -p`);
    }
  }
  if (intent.recordsEnforcement && (await fileSha256(session.policy.enforcementFile)) !== intent.enforcementBefore) {
    step('Putting the enforcement record back');
    const back = intent.recordsEnforcement === 'app' ? 'none' : 'app';
    try {
      await runPolicyHelper(session.helperSite, 'enforce', { enforce: { repository: intent.repository, mode: back } });
      undone.push('the enforcement record was put back');
    } catch (error) {
      problems.push(`the enforcement record could not be put back (${describeError(error)}); run: vespera-updates migrate again, or ask an administrator to fix /etc/vespera-updates/enforcement.json`);
    }
  }
  if (intent.writesPolicy && (await fileSha256(session.policy.policyFile)) !== intent.policyBefore) {
    step('Putting the previous signature policy back');
    const written = record.done.find((s) => s.step === 'policy-written');
    let backup = written?.step === 'policy-written' ? written.backup : undefined;
    try {
      // Cut short inside the helper: its backup is the newest one made since the run began.
      backup ??= (await runPolicyHelper(session.helperSite, 'backups')).backups?.find((b) => b.reason === 'apply' && b.created >= record.startedAt && b.outcome === 'applied')?.id;
      if (!backup) throw new Error('no backup from this run was found');
      // Starting the migration agreed to "any failure undoes everything": that covers putting back the
      // looser policy it replaced, but only over the files exactly as this run wrote them.
      const consent = intent.policyWrites ? restoreConsentOfHashes(backup, intent.policyWrites) : undefined;
      await runPolicyHelper(session.helperSite, 'restore', { backupId: backup, ...(consent ? { looseningConfirmed: consent } : {}) });
      undone.push('the previous signature policy was put back');
    } catch (error) {
      problems.push(`the previous signature policy could not be put back (${describeError(error)})${backup ? `; restore it with: vespera-updates policy restore ${backup}` : '; list the backups with: vespera-updates policy restore'}`);
    }
  }
  return { undone, problems };
}
