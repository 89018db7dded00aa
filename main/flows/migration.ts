// Migration from an unverified image reference to a signed one, as a plan the user reviews and then a
// run: verify the target digest first, make the OS enforce the publisher key (key mode) or deploy the
// verified digest held until the app finalizes it (app mode), check what was staged, and undo every
// change of this migration when any step fails. Also the seed's temporary way back to unverified.

import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationPreview, PolicyChangeView } from '../../preload/contract.ts';
import { formatRefspec, HostError, imageRefspec, sameImage, type Deployment, type Transaction } from '../host/index.ts';
import { runPolicyHelper } from '../policy/helper-client.ts';
import { readPolicyHostState } from '../policy/host-files.ts';
import { inspectPolicy } from '../policy/policy-report.ts';
import { appEnforcedStatement, defaultKeyName, helperPlanOf, planKeyEnforced, type DefaultChoice, type KeyEnforcedPlan, type ScopeChoice } from '../policy/plan.ts';
import { unifiedDiff } from '../policy/unified-diff.ts';
import { describeError } from '../shared/errors.ts';
import { formatDockerReference, parseDockerReference, repositoryName, variantFamily, type DockerReference, type Sha256Digest } from '../shared/image-reference.ts';
import { readFileLimited } from '../shared/bounded.ts';
import { isVerified, loadPublicKey, type PublicKeyRef, type VerificationResult } from '../trust/index.ts';
import { isAppEnforced, readHostEnforcement } from '../policy/host-enforcement.ts';
import { failureOf, imageOf, type ImageChecks, type ResolvedImage } from './image-checks.ts';
import { followTransaction, type ProgressListener } from './progress.ts';
import type { FlowSession } from './session.ts';
import { AUTOMATIC_POLICY_FIX } from './classification.ts';
import { signatureView, signedBy } from './views.ts';

export interface MigrationRequest {
  /** `auto` (default): key-enforced when a publisher key signed the image, else app-enforced. */
  readonly mode?: 'auto' | 'key' | 'app';
  readonly scope?: ScopeChoice;
  readonly defaultPolicy?: DefaultChoice;
  /** The publisher's cosign public key file, instead of the configured one. */
  readonly keyFile?: string;
  /** The image to migrate to; default: the booted image's repository and tag. */
  readonly target?: string;
  /** `signed` (default); `unverified` is the temporary fallback IMAGE-SIGNING.md describes. */
  readonly to?: 'signed' | 'unverified';
}

export type MigrationMode = 'key-enforced' | 'app-enforced' | 'unverified';

export interface MigrationPlan {
  readonly id: string;
  readonly request: MigrationRequest;
  readonly madeAt: string;
  readonly from: string;
  readonly to: string;
  readonly mode: MigrationMode;
  readonly modeReason: string;
  readonly image?: DockerReference;
  readonly target?: ResolvedImage;
  readonly verification?: VerificationResult;
  readonly keyPlan?: KeyEnforcedPlan;
  readonly statements: readonly string[];
  readonly steps: readonly string[];
  readonly warnings: readonly string[];
  readonly canRun: boolean;
  readonly blockedBy?: string;
}

export interface MigrationOutcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly message: string;
  readonly mode: MigrationMode;
  /** The digest that was verified (what the tag named; an index for multi-platform images). */
  readonly verifiedDigest?: Sha256Digest;
  /** The manifest this host boots from it, and what rpm-ostree staged. */
  readonly platformDigest?: Sha256Digest;
  readonly stagedDigest?: Sha256Digest;
  readonly finalizationLocked?: boolean;
  /** The origin the host boots next. */
  readonly newOrigin?: string;
  readonly policyBackup?: string;
  /** `as-planned`, `as-before` (everything undone), or `unknown` (an undo step failed: see message). */
  readonly hostState: 'as-planned' | 'as-before' | 'unknown';
  readonly rebootRequired: boolean;
}

function blocked(base: Omit<MigrationPlan, 'canRun' | 'blockedBy' | 'steps' | 'statements' | 'warnings'>, why: string, warnings: string[] = []): MigrationPlan {
  return { ...base, statements: [], steps: [], warnings, canRun: false, blockedBy: why };
}

/** Keys the app could offer for key mode: the one asked for, the configured ones, those already installed. */
async function candidateKeys(session: FlowSession, checks: ImageChecks, image: DockerReference, keyFile?: string): Promise<Array<{ path: string; key: PublicKeyRef }>> {
  const paths = keyFile ? [keyFile] : [...(await checks.expectationFor(image)).keyPaths];
  if (!keyFile) {
    try {
      for (const name of await readdir(session.policy.keyDir)) if (name.endsWith('.pub')) paths.push(join(session.policy.keyDir, name));
    } catch {
      // No key folder yet: nothing installed.
    }
  }
  const keys: Array<{ path: string; key: PublicKeyRef }> = [];
  for (const path of [...new Set(paths)]) {
    try {
      keys.push({ path, key: await loadPublicKey(path) });
    } catch (error) {
      if (keyFile) throw error;
    }
  }
  return keys;
}

export async function planMigration(session: FlowSession, checks: ImageChecks, request: MigrationRequest = {}): Promise<MigrationPlan> {
  const state = session.host.state;
  const booted = state.booted;
  const from = booted?.origin ?? '(unknown)';
  const id = randomBytes(12).toString('base64url');
  const base = { id, request, madeAt: session.now().toISOString(), from, to: from, mode: 'app-enforced' as MigrationMode, modeReason: '' };
  if (state.daemon !== 'running') return blocked(base, 'rpm-ostreed is not running; start it (systemctl start rpm-ostreed) and try again.');
  if (state.activeTransaction) return blocked(base, `rpm-ostree is busy (${state.activeTransaction.method}); wait until it has finished.`);
  if (state.staged) {
    return blocked(base, `An update is already staged (${state.staged.version ?? state.staged.imageDigest ?? ''}); restart into it or discard it first, so this migration can be undone exactly.`);
  }
  const bootedImage = imageOf(booted);
  let image: DockerReference | undefined = bootedImage;
  if (request.target) {
    try {
      image = parseDockerReference(request.target.replace(/^(ostree-image-signed:docker:\/\/|ostree-unverified-registry:|docker:\/\/)/, ''));
    } catch (error) {
      return blocked(base, describeError(error));
    }
  }
  if (!image) return blocked(base, 'This host does not follow a registry image (its origin is not ostree-…-registry/docker://), so there is nothing to migrate; name a target image.');
  if (!image.tag || image.digest) return blocked(base, `Name the target by tag (like ${repositoryName(image)}:latest) so updates keep coming.`);

  if (request.to === 'unverified') return await planUnverified(session, checks, { ...base, image }, booted);

  let target: ResolvedImage;
  try {
    target = await checks.resolve(image);
  } catch (error) {
    return blocked({ ...base, image }, failureOf(image, error).message);
  }
  const verification = await checks.checkResolved(target, { fresh: true });
  const withTarget = { ...base, image, target, verification };
  if (!isVerified(verification)) {
    return blocked(withTarget, `The target ${formatDockerReference(image)} failed its signature check, so this host will not move to it: ${verification.message}`);
  }

  let keys: Array<{ path: string; key: PublicKeyRef }>;
  try {
    keys = request.mode === 'app' ? [] : await candidateKeys(session, checks, image, request.keyFile);
  } catch (error) {
    return blocked(withTarget, `The key ${request.keyFile ?? ''} cannot be used: ${describeError(error)}`);
  }
  let signingKey: { path: string; key: PublicKeyRef } | undefined;
  let keyProblem = keys.length === 0 ? 'no publisher key is configured or installed for this image' : '';
  for (const candidate of keys) {
    const result = await checks.checkKeySignature(target, [candidate.key]);
    if (isVerified(result) && result.visibleToRpmOstree) {
      signingKey = candidate;
      break;
    }
    keyProblem = isVerified(result)
      ? 'the publisher key’s signature is stored where rpm-ostree cannot see it (cosign 3’s bundle format)'
      : `the image carries no signature by ${candidate.path.split('/').pop() ?? candidate.path} (${result.code})`;
  }
  if (request.mode === 'key' && !signingKey) {
    return blocked(withTarget, `Key-enforced mode needs a publisher key whose signature rpm-ostree can see on this image, but ${keyProblem}. Use app-enforced mode, or give the publisher's key with --key.`);
  }
  if (signingKey) return await planKeyMode(session, { ...withTarget, image, target, verification }, booted, signingKey, request);
  return planAppMode(session, { ...withTarget, image, target, verification }, booted, request.mode === 'app' ? 'You chose app-enforced mode.' : `App-enforced mode, because ${keyProblem}: the image is signed keyless only, and the OS cannot enforce a keyless GitHub identity.`);
}

type Targeted = Omit<MigrationPlan, 'canRun' | 'blockedBy' | 'steps' | 'statements' | 'warnings'> & {
  readonly image: DockerReference;
  readonly target: ResolvedImage;
  readonly verification: VerificationResult;
};

function verifyStep(plan: Targeted): string {
  const signer = isVerified(plan.verification) ? signedBy(signatureView({ status: 'done', result: plan.verification, at: new Date() })) : '';
  return `Verify ${formatDockerReference(plan.image)} at ${plan.target.platformDigest}${plan.target.version ? ` (${plan.target.version})` : ''}: done, signed by ${signer}.`;
}

async function planKeyMode(
  session: FlowSession,
  base: Targeted,
  booted: Deployment | undefined,
  signingKey: { path: string; key: PublicKeyRef },
  request: MigrationRequest,
): Promise<MigrationPlan> {
  const to = formatRefspec(imageRefspec('signed', base.image));
  const plan = { ...base, to, mode: 'key-enforced' as const, modeReason: `Key-enforced mode: the image carries a signature by the publisher key ${signingKey.path.split('/').pop() ?? ''}, which the OS can check itself on every update.` };
  // A policy that already requires a signature for this image (and looks for it) needs no change:
  // the OS checks its own key, as on the way back from a temporary unverified reference.
  const current = await inspectPolicy(session.policy, base.image);
  if (current.image?.imageSigned.outcome === 'requires-signature' && current.image.attachments?.enabled) {
    if (booted?.origin === to) return blocked(plan, 'This host already follows this image signed, and its policy already enforces it: there is nothing to migrate.');
    const steps = [
      verifyStep(base),
      `The signature policy already requires a signature for this image (${current.image.why}); nothing to write.`,
      `Rebase to ${to}; rpm-ostree checks the signature itself.`,
      'Check that rpm-ostree staged exactly the verified digest.',
      'Restart to boot it, now or later.',
    ];
    return { ...plan, modeReason: 'Key-enforced mode: this host’s policy already requires a signature for the image.', statements: [], steps, warnings: [], canRun: true };
  }
  const family = variantFamily(base.image);
  let keyPlan: KeyEnforcedPlan;
  try {
    const keyText = (await readFileLimited(signingKey.path, 16 * 1024)).toString('utf8');
    const keyName = defaultKeyName(family);
    const state = await readPolicyHostState(session.policy, [keyName]);
    keyPlan = planKeyEnforced(state, {
      family,
      scope: request.scope ?? 'per-variant',
      ...(request.defaultPolicy ? { default: request.defaultPolicy } : {}),
      keyText,
      keyName,
    });
  } catch (error) {
    return blocked(plan, describeError(error));
  }
  if (booted?.origin === to && keyPlan.changes.length === 0) {
    return blocked({ ...plan, keyPlan }, 'This host already follows this image signed, and its policy already enforces the key: there is nothing to migrate.');
  }
  const steps = [
    verifyStep(base),
    ...(keyPlan.changes.length > 0
      ? [`Write the signature policy through the privileged helper (you may be asked for your password): ${keyPlan.changes.map((c) => c.hostPath).join(', ')}.`]
      : ['The signature policy already requires the key; nothing to write.']),
    `Rebase to ${to}; rpm-ostree checks the key itself from now on.`,
    'Check that rpm-ostree staged exactly the verified digest.',
    'Restart to boot it, now or later.',
  ];
  return { ...plan, keyPlan, statements: keyPlan.statements, steps, warnings: [], canRun: true };
}

function planAppMode(session: FlowSession, base: Targeted, booted: Deployment | undefined, modeReason: string): MigrationPlan {
  const sameOrigin = booted?.refspec !== undefined && sameImage(booted.refspec, imageRefspec('unverified', base.image));
  const to = sameOrigin && booted?.origin ? booted.origin : formatRefspec(imageRefspec('unverified', base.image));
  const alreadyBooted = booted?.imageDigest === base.target.platformDigest && sameOrigin;
  const warnings: string[] = [];
  const policy = session.host.state.automaticUpdatePolicy;
  if (policy === 'stage' || policy === 'apply') {
    warnings.push(`rpm-ostree's automatic updates (AutomaticUpdatePolicy=${policy}) would stage updates without Vespera's check. Set it to check: ${AUTOMATIC_POLICY_FIX}`);
  }
  const family = variantFamily(base.image);
  const repository = isVerified(base.verification) && base.verification.signer.kind === 'keyless' ? base.verification.signer.sourceRepository : undefined;
  const steps = [
    verifyStep(base),
    alreadyBooted
      ? 'This host already runs exactly that digest: nothing needs to be staged.'
      : `Have rpm-ostree deploy exactly that digest (${base.target.digest === base.target.platformDigest ? base.target.digest : `${base.target.digest}, whose image for this computer is ${base.target.platformDigest}`}), held (finalization locked): nothing boots it until you restart from Vespera Updates.`,
    ...(alreadyBooted ? [] : ['Check that rpm-ostree staged exactly the verified digest, held.']),
    'From now on Vespera Updates verifies every update before it is staged.',
    ...(alreadyBooted ? [] : ['Restart from Vespera Updates to boot it.']),
  ];
  return { ...base, to, mode: 'app-enforced', modeReason, statements: appEnforcedStatement(family, repository), steps, warnings, canRun: true };
}

async function planUnverified(
  session: FlowSession,
  checks: ImageChecks,
  base: Omit<MigrationPlan, 'canRun' | 'blockedBy' | 'steps' | 'statements' | 'warnings'> & { image: DockerReference },
  booted: Deployment | undefined,
): Promise<MigrationPlan> {
  const to = formatRefspec(imageRefspec('unverified', base.image));
  const plan = { ...base, to, mode: 'unverified' as const, modeReason: 'A temporary return to an unverified image reference, as IMAGE-SIGNING.md describes for emergencies.' };
  if (booted?.origin === to) return blocked(plan, 'This host already follows the unverified reference.');
  let target: ResolvedImage | undefined;
  try {
    target = await checks.resolve(base.image);
  } catch (error) {
    return blocked(plan, failureOf(base.image, error).message);
  }
  const report = await inspectPolicy(session.policy, base.image);
  const stillEnforced = report.image?.effect === 'require-signature';
  const warnings = [
    'Warning: after this, rpm-ostree no longer insists on a signature policy for this image. Use it only as a temporary measure, find the cause (vespera-updates doctor), and migrate back to signed.',
    ...(stillEnforced ? ['Note: /etc/containers/policy.json still requires a signature for this image, and it applies to unverified references too; if a signature problem is the reason, this will not get around it.'] : []),
  ];
  return {
    ...plan,
    target,
    statements: [],
    steps: [`Rebase to ${to}.`, 'Restart to boot it.', 'Later: vespera-updates migrate, to return to the signed image.'],
    warnings,
    canRun: true,
  };
}

/** The plan as the migration wizard shows it. */
export function migrationPreview(plan: MigrationPlan): MigrationPreview {
  const policyChanges: PolicyChangeView[] = (plan.keyPlan?.changes ?? []).map((c) => ({
    path: c.hostPath,
    action: c.before === null ? 'create' : 'modify',
    diff: unifiedDiff({ path: c.hostPath, before: c.before, after: c.after }),
  }));
  return {
    planId: plan.id,
    from: plan.from,
    to: plan.to,
    mode: plan.mode === 'key-enforced' ? 'key-enforced' : 'app-enforced',
    modeReason: plan.modeReason,
    target: {
      ...(plan.target?.version ? { version: plan.target.version } : {}),
      digest: plan.target?.platformDigest ?? '',
      signature: plan.verification ? signatureView({ status: 'done', result: plan.verification, at: new Date(plan.madeAt) }) : { status: 'not-checked' },
    },
    policyChanges,
    steps: plan.steps,
    warnings: [...plan.statements, ...plan.warnings],
    options: {
      mode: plan.request.mode ?? 'auto',
      scope: plan.request.scope ?? 'per-variant',
      defaultPolicy: plan.keyPlan?.default ?? plan.request.defaultPolicy ?? 'reject',
    },
    canRun: plan.canRun,
    ...(plan.blockedBy ? { blockedBy: plan.blockedBy } : {}),
  };
}

interface Undo {
  policyBackup?: string;
  enforcementBackup?: string;
  discardStaged: boolean;
}

/** Runs a reviewed plan. Any failure undoes what this run changed and says where the host stands. */
export async function runMigration(session: FlowSession, checks: ImageChecks, plan: MigrationPlan, emit: ProgressListener = () => {}): Promise<MigrationOutcome> {
  const fail = (code: string, message: string, hostState: MigrationOutcome['hostState'] = 'as-before'): MigrationOutcome => ({
    ok: false,
    code,
    message,
    mode: plan.mode,
    hostState,
    rebootRequired: false,
    ...(plan.target ? { verifiedDigest: plan.target.digest, platformDigest: plan.target.platformDigest } : {}),
  });
  if (!plan.canRun || !plan.image || !plan.target) return fail('migration-blocked', plan.blockedBy ?? 'This migration cannot run.');
  const image = plan.image;
  const planned = plan.target;
  const step = (name: string, message?: string): void => emit({ operation: 'migrate', step: name, ...(message ? { message } : {}) });
  const state = session.host.state;
  if (state.staged) return fail('staged-exists', 'An update was staged since the plan was made; restart into it or discard it, then plan again. Nothing was changed.');
  if (state.activeTransaction) return fail('busy', `rpm-ostree is busy (${state.activeTransaction.method}); try again when it has finished. Nothing was changed.`);

  if (plan.mode !== 'unverified') {
    step('Verifying the target image');
    let now: ResolvedImage;
    try {
      now = await checks.resolve(image);
    } catch (error) {
      return fail(failureOf(image, error).code, `${failureOf(image, error).message} Nothing was changed.`);
    }
    if (now.digest !== planned.digest) {
      return fail('target-changed', `${formatDockerReference(image)} changed since you reviewed the plan (now ${now.digest}); review the new plan. Nothing was changed.`);
    }
    const verification = await checks.checkResolved(now, { fresh: true });
    if (!isVerified(verification)) return fail(verification.code, `${verification.message} Nothing was changed.`);
  }

  const undo: Undo = { discardStaged: false };
  if (plan.mode === 'key-enforced' && plan.keyPlan && plan.keyPlan.changes.length > 0) {
    step('Writing the signature policy', 'The privileged helper writes policy.json, registries.d and the key (a password may be asked).');
    try {
      const reply = await runPolicyHelper(session.helperSite, 'apply', { plan: helperPlanOf(plan.keyPlan) });
      if (reply.backup) undo.policyBackup = reply.backup;
    } catch (error) {
      return fail((error as { code?: string }).code ?? 'policy-helper', `The signature policy was not written: ${describeError(error)}`);
    }
  }

  const sameOrigin = state.booted?.origin === plan.to;
  const alreadyBooted = plan.mode === 'app-enforced' && sameOrigin && state.booted?.imageDigest === planned.platformDigest;
  if (!alreadyBooted) {
    let transaction: Transaction;
    try {
      transaction =
        plan.mode === 'app-enforced'
          ? sameOrigin
            ? await session.host.deployDigest(planned.digest, { lockFinalization: true })
            : await session.host.rebase(plan.to, { revision: planned.digest, lockFinalization: true })
          : await session.host.rebase(plan.to);
    } catch (error) {
      const message = error instanceof HostError ? error.message : describeError(error);
      return await undoAndFail(session, undo, fail, (error as { code?: string }).code ?? 'unknown', `rpm-ostree refused: ${message}`);
    }
    const title = plan.mode === 'app-enforced' ? 'Deploying the verified digest, held' : `Rebasing to ${plan.to}`;
    const outcome = await followTransaction(transaction, 'migrate', title, emit);
    if (!outcome.ok) {
      undo.discardStaged = session.host.state.staged !== undefined;
      return await undoAndFail(session, undo, fail, outcome.error.code, `${outcome.error.message}${outcome.error.detail ? ` (${outcome.error.detail})` : ''}`);
    }
    undo.discardStaged = true;
    const staged = session.host.state.staged;
    if (!staged) return await undoAndFail(session, undo, fail, 'nothing-staged', `rpm-ostree finished without staging anything (${outcome.messages.at(-1) ?? 'no message'}).`);
    if (plan.mode !== 'unverified') {
      step('Checking what was staged');
      if (plan.mode === 'app-enforced' && !staged.finalizationLocked) {
        return await undoAndFail(session, undo, fail, 'not-held', 'rpm-ostree staged the update without holding it, so a reboot by any route would boot it.');
      }
      if (staged.imageDigest !== planned.platformDigest) {
        // Key mode pulls the tag again: the OS enforced the key; the app checks the new digest too.
        const stagedCheck = await checks.checkDeployment(staged, { fresh: true });
        if (!stagedCheck || !isVerified(stagedCheck)) {
          return await undoAndFail(session, undo, fail, 'staged-not-verified', `rpm-ostree staged ${staged.imageDigest ?? 'an unknown digest'}, not the verified ${planned.platformDigest}, and it does not verify${stagedCheck && !isVerified(stagedCheck) ? `: ${stagedCheck.message}` : ''}.`);
        }
      }
    }
  }

  // App-enforced mode is host configuration: every user, the CLI under sudo and the service see it.
  const record = await readHostEnforcement(session.policy);
  const repository = repositoryName(image);
  const wanted = plan.mode === 'app-enforced' ? 'app' : plan.mode === 'unverified' ? 'none' : undefined;
  if (wanted && isAppEnforced(record.record, repository) !== (wanted === 'app')) {
    step('Recording the enforcement mode for this host', 'The privileged helper writes /etc/vespera-updates/enforcement.json (a password may be asked).');
    try {
      const reply = await runPolicyHelper(session.helperSite, 'enforce', { enforce: { repository, mode: wanted } });
      if (reply.backup) undo.enforcementBackup = reply.backup;
    } catch (error) {
      return await undoAndFail(session, undo, fail, (error as { code?: string }).code ?? 'policy-helper', `Vespera Updates could not record for this host that it ${wanted === 'app' ? 'enforces' : 'no longer enforces'} this image (${describeError(error)}).`);
    }
  }

  const staged = session.host.state.staged;
  const message =
    plan.mode === 'key-enforced'
      ? `Migrated: the next boot follows ${plan.to}, and the OS now refuses updates the publisher key did not sign. Reboot to apply.`
      : plan.mode === 'app-enforced'
        ? alreadyBooted
          ? 'This host already runs the verified digest; Vespera Updates now verifies every update before it is staged.'
          : 'Migrated: the verified digest is staged and held; restart from Vespera Updates to apply it. Vespera Updates verifies every update from now on.'
        : `The next boot follows ${plan.to}, which nothing verifies. Reboot to apply; migrate back to signed as soon as you can.`;
  return {
    ok: true,
    message,
    mode: plan.mode,
    verifiedDigest: planned.digest,
    platformDigest: planned.platformDigest,
    ...(staged?.imageDigest ? { stagedDigest: staged.imageDigest, finalizationLocked: staged.finalizationLocked } : {}),
    newOrigin: staged?.origin ?? plan.to,
    ...(undo.policyBackup ? { policyBackup: undo.policyBackup } : {}),
    hostState: 'as-planned',
    rebootRequired: !alreadyBooted,
  };
}

async function undoAndFail(
  session: FlowSession,
  undo: Undo,
  fail: (code: string, message: string, hostState?: MigrationOutcome['hostState']) => MigrationOutcome,
  code: string,
  cause: string,
): Promise<MigrationOutcome> {
  const problems: string[] = [];
  if (undo.discardStaged && session.host.state.staged) {
    try {
      const outcome = await (await session.host.cleanup(['pending-deploy'])).done;
      if (!outcome.ok) problems.push(`the staged deployment could not be removed (${outcome.error.message}); discard it with: rpm-ostree cleanup -p`);
    } catch (error) {
      problems.push(`the staged deployment could not be removed (${describeError(error)}); discard it with: rpm-ostree cleanup -p`);
    }
  }
  for (const [backup, what] of [[undo.enforcementBackup, 'the previous enforcement record'], [undo.policyBackup, 'the previous signature policy']] as const) {
    if (!backup) continue;
    try {
      await runPolicyHelper(session.helperSite, 'restore', { backupId: backup });
    } catch (error) {
      problems.push(`${what} could not be put back (${describeError(error)}); restore it with: vespera-updates policy restore ${backup}`);
    }
  }
  if (problems.length > 0) return fail(code, `The migration failed: ${cause} Undoing it partly failed: ${problems.join('; ')}.`, 'unknown');
  const undone = [
    undo.policyBackup ? 'the previous signature policy was put back' : '',
    undo.enforcementBackup ? 'the previous enforcement record was put back' : '',
    undo.discardStaged ? 'the staged deployment was removed' : '',
  ].filter(Boolean);
  return fail(code, `The migration failed: ${cause} ${undone.length > 0 ? `${capitalise(undone.join(' and '))}; the` : 'The'} host is exactly as it was.`);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
