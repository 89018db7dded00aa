// The classification behind every status: from the host's deployments, the signature checks and who
// enforces, one health state, a plain headline, the notices and the actions that make sense now. Pure.

import type { ActionId, DeploymentView, Notice, StatusSnapshot } from '../../preload/contract.ts';
import type { Deployment, HostState } from '../host/index.ts';
import type { DockerReference } from '../shared/image-reference.ts';
import { isVerified } from '../trust/index.ts';
import { brokenPolicy, type Enforcement } from './enforcement.ts';
import { imageOf, type Expectation, type ResolvedImage } from './image-checks.ts';
import { deploymentView, enforcementView, failureText, isoTime, signatureView, verdictOf, type CheckState } from './views.ts';

export const AUTOMATIC_POLICY_FIX =
  "sudo sed -i 's/^#\\?AutomaticUpdatePolicy=.*/AutomaticUpdatePolicy=check/' /etc/rpm-ostreed.conf && sudo rpm-ostree reload";

export interface SnapshotFacts {
  readonly host: HostState;
  /** Who enforces for the booted system. */
  readonly enforcement: Enforcement | undefined;
  /** Who enforces for the deployment a plain restart boots, when that is not the booted one. */
  readonly nextEnforcement?: Enforcement | undefined;
  readonly checkOf: (d: Deployment) => CheckState | undefined;
  readonly expectationOf: (image: DockerReference) => Expectation | undefined;
  readonly available: (ResolvedImage & { check?: CheckState }) | undefined;
  readonly lastCheck?: { at: Date; ok: boolean; message: string } | undefined;
  /** The host's record of app-enforced images could not be read (damaged): said, never hidden. */
  readonly recordProblem?: string;
  /** Runs an interruption left unfinished, in words; the next run that changes the host resolves them. */
  readonly unfinishedRuns?: readonly string[];
  readonly operation?: { title: string; percent?: number; message?: string } | undefined;
  /** Notices about the followed tag (moved back to an older build, stopped moving) and unbound updates. */
  readonly tagNotices?: readonly Notice[];
}

/**
 * The deployment a plain restart boots: the first of the booted stateroot in boot order, except a
 * staged one held by the app (finalization locked), which boots only through Restart now.
 */
export function plainRestartTarget(host: HostState): Deployment | undefined {
  const ours = host.deployments.filter((d) => host.osName === undefined || d.osname === host.osName);
  return ours.find((d) => !(d.staged && d.finalizationLocked)) ?? host.booted;
}

function roleOf(host: HostState, d: Deployment, next: Deployment | undefined): DeploymentView['role'] {
  if (d.booted) return 'booted';
  if (d.staged) return 'staged';
  if (next && d.id === next.id) return 'pending';
  return d.id === host.rollback?.id ? 'rollback' : 'other';
}

function describeName(d: Deployment): string {
  return d.version ?? d.imageDigest ?? d.checksum;
}

/** `rollback` when the next boot is older than what runs now (or named so by rpm-ostree), else `switch`. */
function pendingKind(host: HostState, pending: Deployment): string {
  const booted = host.booted;
  if (booted && pending.timestamp !== undefined && booted.timestamp !== undefined && pending.timestamp < booted.timestamp) return 'rollback';
  return booted && pending.origin !== booted.origin ? 'another image' : 'rollback';
}

/** The classification: one health state, a plain headline, the actions that make sense now. Pure. */
export function buildSnapshot(facts: SnapshotFacts): StatusSnapshot {
  const { host } = facts;
  const next = plainRestartTarget(host);
  const view = (d: Deployment) => {
    const image = imageOf(d);
    const role = roleOf(host, d, next);
    return { ...deploymentView(d, role, signatureView(facts.checkOf(d), image ? facts.expectationOf(image) : undefined)), ...(next && d.id === next.id ? { nextBoot: true } : {}) };
  };
  const deployments = host.deployments.map(view);
  // The enforcement line follows the deployment that boots next; until the restart, the current one.
  const current = facts.enforcement;
  const upcoming = facts.nextEnforcement ?? current;
  const enforcementV = upcoming
    ? {
        ...enforcementView(upcoming),
        ...(current && upcoming !== current && current.summary !== upcoming.summary ? { untilRestart: current.summary } : {}),
      }
    : { mode: 'none' as const, summary: 'Not known yet', detail: 'Vespera Updates is reading the host’s signature policy.' };
  const enforcement = upcoming;
  const notices: Notice[] = [];
  const actions: ActionId[] = [];
  const transaction = facts.operation
    ? { title: facts.operation.title, ...(facts.operation.percent !== undefined ? { percent: facts.operation.percent } : {}), ...(facts.operation.message ? { message: facts.operation.message } : {}), ownedByApp: true }
    : host.activeTransaction
      ? { title: host.activeTransaction.method, ownedByApp: host.activeTransaction.byThisClient }
      : undefined;

  if (host.daemon === 'gone' && host.deployments.length === 0) {
    return {
      health: 'no-daemon',
      headline: 'rpm-ostreed is not running, so the host cannot be checked',
      detail: 'Vespera Updates starts it again as soon as it can; if this stays, run: systemctl status rpm-ostreed',
      deployments,
      enforcement: enforcementV,
      automaticUpdatePolicy: host.automaticUpdatePolicy,
      notices,
      actions: ['doctor'],
    };
  }

  const booted = host.booted;
  const staged = host.staged;
  const pending = next && booted && next.id !== booted.id && !next.staged ? next : undefined;
  const stagedCheck = staged ? facts.checkOf(staged) : undefined;
  const bootedCheck = booted ? facts.checkOf(booted) : undefined;
  const available = facts.available;
  const expectationFor = (d: Deployment) => (imageOf(d) ? facts.expectationOf(imageOf(d) as DockerReference) : undefined);
  let health: StatusSnapshot['health'];
  let headline: string;
  let detail: string | undefined;
  let update: StatusSnapshot['update'];

  if (staged && stagedCheck) {
    const signature = signatureView(stagedCheck, expectationFor(staged));
    const verdict = verdictOf(stagedCheck);
    const version = staged.version ?? '';
    update = {
      state: verdict === 'failed' ? 'failed' : verdict === 'unchecked' ? 'unchecked' : 'ready',
      ...(staged.version ? { version: staged.version } : {}),
      ...(isoTime(staged.timestamp) ? { timestamp: isoTime(staged.timestamp) as string } : {}),
      ...(staged.origin ? { imageReference: staged.origin } : {}),
      digest: staged.imageDigest ?? staged.checksum,
      signature,
    };
    if (verdict === 'failed') {
      health = 'needs-attention';
      headline = `The staged update ${version} failed its signature check: discard it`.replace('  ', ' ');
      detail = signature.failure?.message;
      notices.push({ code: 'staged-not-verified', severity: 'critical', message: 'Do not restart into the staged update: it is not what its publisher signed. Discard it.', action: 'discard-staged' });
      actions.push('discard-staged', 'open-details', 'doctor');
    } else if (verdict === 'unchecked') {
      health = 'cannot-check';
      headline = `Could not check the staged update ${version}`.replace('  ', ' ').trim();
      detail = `${signature.failure?.message ?? ''} ${staged.finalizationLocked ? 'It stays held: it boots only once it verifies.' : 'It is not held: a plain restart boots it unverified.'}`.trim();
      actions.push('check-now', 'open-details', 'discard-staged', 'doctor');
    } else if (verdict === 'pending') {
      health = 'checking';
      headline = `Checking the signature of the staged update ${version}`.trim();
      actions.push('open-details');
    } else {
      health = 'update-ready';
      headline = `Signed update ready: restart to apply ${staged.version ?? staged.imageDigest ?? ''}`.trim();
      actions.push('restart-now', 'open-details', 'discard-staged');
    }
    if (!staged.finalizationLocked && enforcement?.mode === 'app-enforced') {
      notices.push({
        code: 'staged-outside-app',
        severity: verdict === 'failed' ? 'critical' : 'warning',
        message: 'This update was staged outside Vespera Updates (the automatic timer or a terminal), so it is not held: any restart boots it.',
        ...(verdict === 'failed' ? { action: 'discard-staged' as const } : {}),
      });
    }
  } else if (pending) {
    const check = facts.checkOf(pending);
    const verdict = verdictOf(check);
    const name = `${describeName(pending)} (${pendingKind(host, pending)})`;
    if (verdict === 'failed') {
      health = 'needs-attention';
      headline = `Next restart: ${name}, whose signature does not check out`;
      detail = failureText(check);
    } else if (verdict === 'unchecked') {
      health = 'cannot-check';
      headline = `Next restart: ${name}; its signature could not be checked`;
      detail = failureText(check);
    } else if (verdict === 'pending') {
      health = 'checking';
      headline = `Next restart: ${name}; checking its signature`;
    } else {
      health = 'restart-pending';
      headline = `Next restart: ${name}`;
      detail = `This computer runs ${describeName(booted as Deployment)} until it restarts.`;
    }
  } else if (available && available.check?.status === 'done') {
    const signature = signatureView(available.check, facts.expectationOf(available.image));
    const verdict = verdictOf(available.check);
    update = {
      state: verdict === 'verified' ? 'available' : verdict === 'unchecked' ? 'unchecked' : 'failed',
      ...(available.version ? { version: available.version } : {}),
      digest: available.platformDigest,
      signature,
    };
    if (verdict === 'verified') {
      health = 'update-available';
      headline = `Signed update available: ${available.version ?? available.platformDigest}`;
      actions.push('stage-update', 'open-details');
    } else if (verdict === 'unchecked') {
      health = 'cannot-check';
      headline = `An update (${available.version ?? available.platformDigest}) is available, but its signature could not be checked`;
      detail = signature.failure?.message;
      actions.push('check-now', 'open-details', 'doctor');
    } else {
      health = 'needs-attention';
      headline = `An update is available but failed its signature check; it will not be installed`;
      detail = signature.failure?.message;
      actions.push('open-details', 'doctor');
    }
  } else if (!booted) {
    health = 'checking';
    headline = 'Reading the host';
  } else {
    const verdict = verdictOf(bootedCheck);
    if (verdict === 'pending' && imageOf(booted)) {
      health = 'checking';
      headline = 'Checking the signature of the running system';
    } else if (verdict === 'failed') {
      health = enforcement?.mode === 'none' ? 'unverified' : 'needs-attention';
      headline = `The running system's signature does not check out`;
      detail = failureText(bootedCheck);
      actions.push('open-details', 'doctor');
    } else if (verdict === 'unchecked') {
      const last = bootedCheck?.status === 'done' ? bootedCheck.lastVerified : undefined;
      health = enforcement?.mode === 'none' ? 'unverified' : 'cannot-check';
      headline = `Could not check the running system's signature`;
      detail = `${failureText(bootedCheck) ?? ''}${last ? ` It last verified on ${last.checkedAt}, signed by ${last.signedBy}.` : ' It has not been verified on this computer before.'}`.trim();
      actions.push('check-now', 'doctor');
    } else if (enforcement?.mode === 'none') {
      health = 'unverified';
      headline = verdict === 'verified' ? 'Signed, but nothing enforces signatures on this host' : 'This host boots unverified images';
      detail = enforcement.detail;
    } else {
      health = 'signed-current';
      headline = `Up to date and signed: ${describeName(booted)}`;
    }
  }

  const broken = brokenPolicy(current);
  if (enforcement?.mode === 'none' && imageOf(booted) && !broken) {
    // Making the host verify comes first, unless a staged update needs a decision now.
    if (actions.includes('restart-now') || actions.includes('discard-staged')) actions.push('migrate');
    else actions.unshift('migrate');
    notices.push({ code: 'unverified-host', severity: 'warning', message: enforcement.summary, action: 'migrate' });
  }
  if (enforcement?.mode === 'app-enforced' && (host.automaticUpdatePolicy === 'stage' || host.automaticUpdatePolicy === 'apply')) {
    notices.push({
      code: 'automatic-policy-stages',
      severity: 'warning',
      message: `rpm-ostree's automatic updates (AutomaticUpdatePolicy=${host.automaticUpdatePolicy}) stage updates without Vespera's check. Set it to check: ${AUTOMATIC_POLICY_FIX}`,
    });
  }
  if (enforcement?.mode === 'key-enforced' && bootedCheck?.status === 'done' && isVerified(bootedCheck.result) && !bootedCheck.result.visibleToRpmOstree) {
    notices.push({
      code: 'signature-invisible-to-os',
      severity: 'warning',
      message: 'This image is signed only in cosign 3’s bundle format, which rpm-ostree cannot see; the OS will refuse its updates. The publisher must sign with --new-bundle-format=false --use-signing-config=false.',
      action: 'doctor',
    });
  }
  for (const line of facts.unfinishedRuns ?? []) notices.push({ code: 'unfinished-run', severity: 'warning', message: line });
  if (facts.recordProblem) notices.push({ code: 'enforcement-record-damaged', severity: 'critical', message: `Vespera Updates cannot tell whether it enforces this host's updates: ${facts.recordProblem}`, action: 'doctor' });
  if (facts.lastCheck && !facts.lastCheck.ok) notices.push({ code: 'check-failed', severity: 'warning', message: facts.lastCheck.message, action: 'check-now' });
  for (const notice of facts.tagNotices ?? []) {
    notices.push(notice);
    // A tag moved back to an older build is evidence against the registry, not a quiet detail.
    if (notice.severity === 'critical' && health === 'signed-current') {
      health = 'needs-attention';
      headline = 'The image tag moved back to an older build: possible rollback attack';
      detail = notice.message;
    }
  }

  if (broken) {
    // Every pull fails until the file is fixed: no update, rollback to another image or migration can
    // happen, so this leads whatever else is true (said once: the headline's detail, or a notice while
    // a transaction holds the headline).
    if (transaction) notices.unshift({ code: 'policy-invalid', severity: 'critical', message: broken, action: 'doctor' });
    else {
      health = 'needs-attention';
      headline = `The host's signature policy does not load: every image download fails until it is fixed`;
      detail = broken;
      const rest = actions.filter((a) => a !== 'doctor' && a !== 'stage-update' && a !== 'migrate');
      actions.splice(0, actions.length, 'doctor', ...rest);
    }
  }

  if (!actions.includes('check-now')) actions.push('check-now');
  if (host.rollback && !actions.includes('rollback')) actions.push('rollback');
  if (!actions.includes('doctor')) actions.push('doctor');
  if (transaction) health = health === 'needs-attention' ? health : 'busy';

  return {
    health,
    headline,
    ...(detail ? { detail } : {}),
    deployments,
    ...(update ? { update } : {}),
    enforcement: enforcementV,
    ...(transaction ? { transaction } : {}),
    automaticUpdatePolicy: host.automaticUpdatePolicy,
    notices,
    actions,
    ...(facts.lastCheck ? { checkedAt: facts.lastCheck.at.toISOString() } : {}),
  };
}
