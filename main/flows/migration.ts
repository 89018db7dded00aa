// Planning a migration from an unverified image reference to a signed one, for the user to review:
// verify the target digest, choose key mode (the OS enforces the publisher key) or app mode (the verified
// digest deployed held), and the steps. Also the seed's temporary way back to unverified. The run itself
// is migration-run.ts.

import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationPreview, PolicyChangeView } from '../../preload/contract.ts';
import { formatRefspec, imageRefspec, sameImage, type Deployment } from '../host/index.ts';
import { readPolicyHostState } from '../policy/host-files.ts';
import { inspectPolicy } from '../policy/policy-report.ts';
import { appEnforcedStatement, defaultKeyName, planKeyEnforced, type DefaultChoice, type KeyEnforcedPlan, type ScopeChoice } from '../policy/plan.ts';
import { migrationChoices, type MigrationChoices } from '../policy/plan-choices.ts';
import { unifiedDiff } from '../policy/unified-diff.ts';
import { describeError } from '../shared/errors.ts';
import { formatDockerReference, parseDockerReference, repositoryName, variantFamily, type DockerReference } from '../shared/image-reference.ts';
import { readFileLimited } from '../shared/bounded.ts';
import { isVerified, loadPublicKey, verdictOfCode, type PublicKeyRef, type VerificationResult } from '../trust/index.ts';
import { isAppEnforced, readHostEnforcement } from '../policy/host-enforcement.ts';
import { failureOf, imageOf, type ImageChecks, type ResolvedImage } from './image-checks.ts';
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
  /** Key mode: the wizard's choices for this host, each planned for real (the preview can offer them). */
  readonly choices?: MigrationChoices;
  readonly statements: readonly string[];
  readonly steps: readonly string[];
  readonly warnings: readonly string[];
  readonly canRun: boolean;
  readonly blockedBy?: string;
  /**
   * Why it cannot run: `evidence` (the target failed its signature check), `unchecked` (it could not be
   * checked), `done` (already migrated or nothing to do), or `blocked` (the host is not ready).
   */
  readonly blockedKind?: 'evidence' | 'unchecked' | 'done' | 'blocked';
}

export type { MigrationOutcome } from './migration-run.ts';

function blocked(
  base: Omit<MigrationPlan, 'canRun' | 'blockedBy' | 'steps' | 'statements' | 'warnings'>,
  why: string,
  kind: NonNullable<MigrationPlan['blockedKind']> = 'blocked',
  warnings: string[] = [],
): MigrationPlan {
  return { ...base, statements: [], steps: [], warnings, canRun: false, blockedBy: why, blockedKind: kind };
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
  // Until a target is known there is no "to", and no mode with a reason: a blocked plan says only why.
  const base = { id, request, madeAt: session.now().toISOString(), from, to: '', mode: 'app-enforced' as MigrationMode, modeReason: '' };
  if (state.daemon !== 'running') return blocked(base, 'rpm-ostreed is not running; start it (systemctl start rpm-ostreed) and try again.');
  if (state.activeTransaction) return blocked(base, `rpm-ostree is busy (${state.activeTransaction.method}); wait until it has finished.`);
  if (state.staged) {
    const staged = state.staged;
    const stagedImage = imageOf(staged);
    const record = stagedImage ? (await readHostEnforcement(session.policy)).record : undefined;
    const migrated =
      stagedImage !== undefined &&
      ((staged.refspec?.kind === 'container' && staged.refspec.verification === 'signed' && booted?.refspec?.kind === 'container' && booted.refspec.verification !== 'signed') ||
        (staged.finalizationLocked && record !== undefined && isAppEnforced(record, repositoryName(stagedImage))));
    if (migrated) {
      return blocked(base, `This host is already migrated: the next restart boots ${staged.version ?? staged.imageDigest ?? ''} from ${staged.origin ?? ''}${staged.finalizationLocked ? ' (held until you restart from Vespera Updates)' : ''}. Restart to apply it.`, 'done');
    }
    return blocked(base, `An update is already staged (${staged.version ?? staged.imageDigest ?? ''}); restart into it or discard it first, so this migration can be undone exactly.`);
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
    return blocked({ ...base, image }, failureOf(image, error).message, verdictOfCode(failureOf(image, error).code) === 'unchecked' ? 'unchecked' : 'evidence');
  }
  const verification = await checks.checkResolved(target, { fresh: true });
  const withTarget = { ...base, image, target, verification };
  if (!isVerified(verification)) {
    return verdictOfCode(verification.code) === 'unchecked'
      ? blocked(withTarget, `The target ${formatDockerReference(image)} could not be checked, so this host will not move to it yet: ${verification.message}`, 'unchecked')
      : blocked(withTarget, `The target ${formatDockerReference(image)} failed its signature check, so this host will not move to it: ${verification.message}`, 'evidence');
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
    if (booted?.origin === to) return blocked(plan, 'This host already follows this image signed, and its policy already enforces it: there is nothing to migrate.', 'done');
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
  let choices: MigrationChoices | undefined;
  try {
    const keyText = (await readFileLimited(signingKey.path, 16 * 1024)).toString('utf8');
    const keyName = defaultKeyName(family);
    const state = await readPolicyHostState(session.policy, [keyName]);
    const keyRequest = { family, image: repositoryName(base.image), keyText, keyName };
    choices = migrationChoices(state, { ...keyRequest, ...(request.scope ? { scope: request.scope } : {}), ...(request.defaultPolicy ? { default: request.defaultPolicy } : {}) });
    keyPlan = planKeyEnforced(state, { ...keyRequest, scope: request.scope ?? 'per-variant', ...(request.defaultPolicy ? { default: request.defaultPolicy } : {}) });
  } catch (error) {
    return blocked({ ...plan, ...(choices ? { choices } : {}) }, describeError(error));
  }
  if (booted?.origin === to && keyPlan.changes.length === 0) {
    return blocked({ ...plan, keyPlan }, 'This host already follows this image signed, and its policy already enforces the key: there is nothing to migrate.', 'done');
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
  return { ...plan, keyPlan, choices, statements: keyPlan.statements, steps, warnings: [], canRun: true };
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
  if (booted?.origin === to) return blocked(plan, 'This host already follows the unverified reference.', 'done');
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
