// Verifying a Sigstore bundle about an arbitrary artifact (a file, or only its sha256), as the
// sigstore-conformance client protocol asks; the image path reuses the same checks.

import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { createHash } from 'node:crypto';
import { describeError } from '../shared/errors.ts';
import { TrustError, type TrustFailureCode } from './errors.ts';
import { checkIdentity, type IdentityPolicy } from './identity-policy.ts';
import type { PublicKeyRef } from './keys.ts';
import { parseInTotoStatement } from './payload.ts';
import { checkBundle, type Artifact, type CryptoSigner, type TlogEntryInfo } from './signature-check.ts';
import type { TrustRoot } from './trust-root.ts';

export interface BundleVerificationRequest {
  /** The bundle as parsed JSON. */
  readonly bundle: unknown;
  /** The artifact's bytes, or only its sha256. */
  readonly artifact: Artifact;
  readonly identity?: IdentityPolicy;
  readonly keys?: readonly PublicKeyRef[];
  readonly trustRoot: TrustRoot;
  readonly now?: Date;
}

export type BundleVerificationResult =
  | { readonly status: 'verified'; readonly signer: CryptoSigner; readonly tlog?: TlogEntryInfo }
  | { readonly status: 'failed'; readonly code: TrustFailureCode; readonly message: string };

export function verifyArtifactBundle(request: BundleVerificationRequest): BundleVerificationResult {
  const failed = (code: TrustFailureCode, message: string): BundleVerificationResult => ({ status: 'failed', code, message });
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(request.bundle);
  } catch (error) {
    return failed('unsupported-format', `the bundle is not a valid Sigstore bundle (${describeError(error)}).`);
  }
  const keys = request.keys ?? [];
  if (!request.identity && keys.length === 0) return failed('invalid-input', 'say who must have signed: a certificate identity and issuer, or a key.');
  const digest = Buffer.isBuffer(request.artifact) ? createHash('sha256').update(request.artifact).digest() : request.artifact.sha256;
  if (bundle.content.$case === 'dsseEnvelope') {
    // A DSSE signature covers the statement; the artifact must be one of its subjects.
    try {
      const statement = parseInTotoStatement(bundle.content.dsseEnvelope.payloadType, bundle.content.dsseEnvelope.payload);
      if (!statement.subjectDigests.includes(`sha256:${digest.toString('hex')}`)) {
        return failed('digest-mismatch', 'the bundle is about another artifact (no subject has its sha256).');
      }
    } catch (error) {
      return failed(error instanceof TrustError ? error.code : 'unsupported-format', describeError(error));
    }
  }
  const outcome = checkBundle(bundle, bundle.content.$case === 'dsseEnvelope' ? undefined : request.artifact, {
    trustRoot: request.trustRoot,
    keys,
    acceptKeyless: request.identity !== undefined,
    ...(request.now ? { now: request.now } : {}),
  });
  if (!outcome.ok) return failed(outcome.code, `${outcome.reason}.`);
  if (outcome.signer.kind === 'keyless' && request.identity) {
    const verdict = checkIdentity(request.identity, outcome.signer.certificate);
    if (!verdict.ok) return failed(verdict.code ?? 'identity-mismatch', `${verdict.reason ?? 'unexpected signer'}.`);
  }
  return { status: 'verified', signer: outcome.signer, ...(outcome.tlog ? { tlog: outcome.tlog } : {}) };
}
