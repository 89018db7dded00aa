// Turns what the flows know (deployments, verification results, enforcement) into the contract's view
// model the tray, the windows, the web demo and the CLI's --json all show. Pure: no I/O here.

import type { DeploymentView, EnforcementView, ImageTransport, SignatureView } from '../../preload/contract.ts';
import type { Deployment } from '../host/index.ts';
import { describeBinding, verdictOfCode, type VerificationResult } from '../trust/index.ts';
import type { Enforcement } from './enforcement.ts';
import type { Expectation } from './image-checks.ts';

/** Where a signature question stands for one digest. */
export type CheckState =
  | { readonly status: 'checking' }
  | {
      readonly status: 'done';
      readonly result: VerificationResult;
      readonly at: Date;
      /** When the result could not be checked: the last time this digest verified. */
      readonly lastVerified?: { readonly checkedAt: string; readonly signedBy: string };
    }
  | { readonly status: 'not-applicable'; readonly why: string };

export function isoTime(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
}

export function signatureView(check: CheckState | undefined, expectation?: Expectation): SignatureView {
  const expected = expectation ? { expected: { description: expectation.description, derived: expectation.derived } } : {};
  if (!check) return { status: 'not-checked', ...expected };
  if (check.status === 'checking') return { status: 'checking', ...expected };
  if (check.status === 'not-applicable') return { status: 'not-applicable', failure: { code: 'not-applicable', message: check.why } };
  const r = check.result;
  const checkedAt = check.at.toISOString();
  if (r.status === 'failed') {
    return {
      status: verdictOfCode(r.code) === 'unchecked' ? 'unchecked' : 'failed',
      ...(check.lastVerified && verdictOfCode(r.code) === 'unchecked' ? { lastVerified: check.lastVerified } : {}),
      ...(r.platformDigest ?? r.digest ? { digest: r.platformDigest ?? r.digest } : {}),
      ...expected,
      failure: { code: r.code, message: r.message },
      checkedAt,
    };
  }
  const signer: SignatureView['signer'] =
    r.signer.kind === 'keyless'
      ? {
          kind: 'keyless',
          identity: r.signer.subject,
          issuer: r.signer.issuer,
          ...(r.signer.sourceRepository ? { sourceRepository: r.signer.sourceRepository } : {}),
          workflow: workflowOf(r.signer.subject, r.signer.sourceRepository),
          ...(r.signer.commit ? { commit: r.signer.commit } : {}),
          ...(r.signer.runInvocationUri ? { runUrl: r.signer.runInvocationUri } : {}),
        }
      : { kind: 'key', identity: r.signer.key.split('/').pop() ?? r.signer.key };
  return {
    status: 'verified',
    digest: r.platformDigest ?? r.digest,
    expected: { description: r.policy.description, derived: r.policy.origin === 'derived' },
    signer,
    layout: r.layout,
    ...(r.tlog ? { transparencyLog: { logIndex: r.tlog.logIndex, integratedTime: r.tlog.integratedTime } } : {}),
    visibleToOs: r.visibleToRpmOstree,
    binding: { bound: r.binding.kind !== 'none', description: describeBinding(r.binding) },
    checkedAt,
  };
}

/** `.github/workflows/build.yml@refs/heads/main` out of the workflow URI a certificate names. */
export function workflowOf(subject: string, repository: string | undefined): string {
  if (repository && subject.startsWith(`${repository}/`)) return subject.slice(repository.length + 1);
  const at = subject.indexOf('/.github/workflows/');
  return at === -1 ? subject : subject.slice(at + 1);
}

export function transportOf(deployment: Deployment): ImageTransport {
  const r = deployment.refspec;
  if (!r) return 'other';
  if (r.kind === 'container') return r.verification === 'signed' ? 'signed' : r.verification === 'unverified' ? 'unverified' : 'ostree-remote';
  return 'ostree';
}

export function deploymentView(deployment: Deployment, role: DeploymentView['role'], signature: SignatureView): DeploymentView {
  const timestamp = isoTime(deployment.timestamp);
  return {
    id: deployment.id,
    role,
    ...(deployment.version !== undefined ? { version: deployment.version } : {}),
    ...(timestamp ? { timestamp } : {}),
    ...(deployment.origin !== undefined ? { imageReference: deployment.origin } : {}),
    transport: transportOf(deployment),
    ...(deployment.imageDigest ? { digest: deployment.imageDigest } : {}),
    pinned: deployment.pinned,
    finalizationLocked: deployment.finalizationLocked,
    signature,
  };
}

export function enforcementView(e: Enforcement): EnforcementView {
  return { mode: e.mode, summary: e.summary, detail: e.detail, ...(e.keyPath ? { keyPath: e.keyPath } : {}) };
}

/** Who signed, in a few words, for notifications and one-line summaries. */
export function signedBy(view: SignatureView): string {
  const s = view.signer;
  if (!s) return 'an unknown signer';
  if (s.kind === 'key') return `the publisher key ${s.identity}`;
  return s.sourceRepository ? `${s.workflow ?? 'a workflow'} of ${s.sourceRepository}` : s.identity;
}

/** The verdict a check stands at: one of the three, still open, or not a registry image. */
export type Verdict = 'verified' | 'failed' | 'unchecked' | 'pending' | 'not-applicable';

export function verdictOf(check: CheckState | undefined): Verdict {
  if (!check || check.status === 'checking') return 'pending';
  if (check.status === 'not-applicable') return 'not-applicable';
  if (check.result.status === 'verified') return 'verified';
  return verdictOfCode(check.result.code);
}

/** The failure's message of a finished check that did not verify; undefined otherwise. */
export function failureText(check: CheckState | undefined): string | undefined {
  return check?.status === 'done' && check.result.status === 'failed' ? check.result.message : undefined;
}
