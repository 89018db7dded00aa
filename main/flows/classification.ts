// The classification behind every status: from the host's deployments, the signature checks and who
// enforces, one health state, a plain headline, the notices and the actions that make sense now. Pure.

import type { ActionId, Notice, StatusSnapshot } from '../../preload/contract.ts';
import type { Deployment, HostState } from '../host/index.ts';
import type { DockerReference } from '../shared/image-reference.ts';
import { isVerified } from '../trust/index.ts';
import type { Enforcement } from './enforcement.ts';
import { imageOf, type Expectation, type ResolvedImage } from './image-checks.ts';
import { deploymentView, enforcementView, isoTime, signatureView, type CheckState } from './views.ts';

export const AUTOMATIC_POLICY_FIX =
  "sudo sed -i 's/^#\\?AutomaticUpdatePolicy=.*/AutomaticUpdatePolicy=check/' /etc/rpm-ostreed.conf && sudo rpm-ostree reload";

export interface SnapshotFacts {
  readonly host: HostState;
  readonly enforcement: Enforcement | undefined;
  readonly checkOf: (d: Deployment) => CheckState | undefined;
  readonly expectationOf: (image: DockerReference) => Expectation | undefined;
  readonly available: (ResolvedImage & { check?: CheckState }) | undefined;
  readonly lastCheck?: { at: Date; ok: boolean; message: string } | undefined;
  readonly operation?: { title: string; percent?: number; message?: string } | undefined;
}

/** The classification: one health state, a plain headline, the actions that make sense now. Pure. */
export function buildSnapshot(facts: SnapshotFacts): StatusSnapshot {
  const { host, enforcement } = facts;
  const view = (d: Deployment, role: 'booted' | 'staged' | 'rollback' | 'other') => {
    const image = imageOf(d);
    return deploymentView(d, role, signatureView(facts.checkOf(d), image ? facts.expectationOf(image) : undefined));
  };
  const deployments = host.deployments.map((d) =>
    view(d, d.booted ? 'booted' : d.staged ? 'staged' : d.id === host.rollback?.id ? 'rollback' : 'other'),
  );
  const enforcementV = enforcement
    ? enforcementView(enforcement)
    : { mode: 'none' as const, summary: 'Not known yet', detail: 'Vespera Updates is reading the host’s signature policy.' };
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
  const stagedCheck = staged ? facts.checkOf(staged) : undefined;
  const bootedCheck = booted ? facts.checkOf(booted) : undefined;
  const available = facts.available;
  let health: StatusSnapshot['health'];
  let headline: string;
  let detail: string | undefined;
  let update: StatusSnapshot['update'];

  if (staged && stagedCheck) {
    const signature = signatureView(stagedCheck, imageOf(staged) ? facts.expectationOf(imageOf(staged) as DockerReference) : undefined);
    const failed = stagedCheck.status === 'done' && !isVerified(stagedCheck.result);
    update = {
      state: failed ? 'failed' : 'ready',
      ...(staged.version ? { version: staged.version } : {}),
      ...(isoTime(staged.timestamp) ? { timestamp: isoTime(staged.timestamp) as string } : {}),
      ...(staged.origin ? { imageReference: staged.origin } : {}),
      digest: staged.imageDigest ?? staged.checksum,
      signature,
    };
    if (failed) {
      health = 'needs-attention';
      headline = `The staged update ${staged.version ?? ''} failed its signature check: discard it`.replace('  ', ' ');
      detail = signature.failure?.message;
      notices.push({ code: 'staged-not-verified', severity: 'critical', message: `Do not restart into the staged update: ${signature.failure?.message ?? ''}`, action: 'discard-staged' });
      actions.push('discard-staged', 'open-details', 'doctor');
    } else if (stagedCheck.status === 'checking') {
      health = 'checking';
      headline = `Checking the signature of the staged update ${staged.version ?? ''}`.trim();
      actions.push('open-details');
    } else {
      health = 'update-ready';
      headline = `Signed update ready: restart to apply ${staged.version ?? staged.imageDigest ?? ''}`.trim();
      actions.push('restart-now', 'open-details', 'discard-staged');
    }
    if (!staged.finalizationLocked && enforcement?.mode === 'app-enforced') {
      notices.push({
        code: 'staged-outside-app',
        severity: failed ? 'critical' : 'warning',
        message: 'This update was staged outside Vespera Updates (the automatic timer or a terminal), so it is not held: any restart boots it.',
        ...(failed ? { action: 'discard-staged' as const } : {}),
      });
    }
  } else if (available && available.check?.status === 'done') {
    const signature = signatureView(available.check, facts.expectationOf(available.image));
    const verified = isVerified(available.check.result);
    update = {
      state: verified ? 'available' : 'failed',
      ...(available.version ? { version: available.version } : {}),
      digest: available.platformDigest,
      signature,
    };
    if (verified) {
      health = 'update-available';
      headline = `Signed update available: ${available.version ?? available.platformDigest}`;
      actions.push('stage-update', 'open-details');
    } else {
      health = 'needs-attention';
      headline = `An update is available but failed its signature check; it will not be installed`;
      detail = signature.failure?.message;
      actions.push('open-details', 'doctor');
    }
  } else if (!booted) {
    health = 'checking';
    headline = 'Reading the host';
  } else if (bootedCheck?.status === 'checking' || (!bootedCheck && imageOf(booted))) {
    health = 'checking';
    headline = 'Checking the signature of the running system';
  } else if (bootedCheck?.status === 'done' && !isVerified(bootedCheck.result)) {
    health = enforcement?.mode === 'none' ? 'unverified' : 'needs-attention';
    headline = `The running system's signature does not check out`;
    detail = bootedCheck.result.message;
    actions.push('open-details', 'doctor');
  } else if (enforcement?.mode === 'none') {
    health = 'unverified';
    headline = bootedCheck?.status === 'done' ? 'Signed, but nothing enforces signatures on this host' : 'This host boots unverified images';
    detail = enforcement.detail;
  } else {
    health = 'signed-current';
    headline = `Up to date and signed: ${booted.version ?? booted.imageDigest ?? booted.checksum}`;
  }

  if (enforcement?.mode === 'none' && imageOf(booted)) {
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
  if (facts.lastCheck && !facts.lastCheck.ok) notices.push({ code: 'check-failed', severity: 'warning', message: facts.lastCheck.message, action: 'check-now' });

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
