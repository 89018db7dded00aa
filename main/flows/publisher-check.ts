// The doctor's signature checks turned toward a publisher: for their own image, what is signed, in which
// cosign layout and at which digest, what rpm-ostree will see of it, and what is missing for both the OS
// and the app to check it. Uses the same verification as `verify` and the doctor; changes nothing.

import { formatDockerReference, type DockerReference } from '../shared/image-reference.ts';
import { isTrustFailureCode, isVerified, verdictOfCode, verifyImage, type PublicKeyRef, type VerificationResult } from '../trust/index.ts';
import { describeIdentity } from '../trust/identity-policy.ts';
import { SIGN_FLAGS } from './doctor.ts';
import { failureOf, type ImageChecks, type ResolvedImage } from './image-checks.ts';

export interface SignatureFinding {
  /** verified; missing (no signature of this kind); failed (one exists but does not verify); not-checked. */
  readonly status: 'verified' | 'missing' | 'failed' | 'not-checked';
  readonly layout?: 'legacy' | 'bundle';
  /** The digest the signature covers. */
  readonly digest?: string;
  readonly signer?: string;
  readonly detail: string;
}

export interface PublisherReport {
  readonly image: string;
  /** What the tag names now (an index for multi-platform images). */
  readonly digest?: string;
  readonly platformDigest?: string;
  readonly expected: string;
  readonly keyless: SignatureFinding;
  readonly key: SignatureFinding;
  /** What rpm-ostree (containers/image behind ostree-image-signed:) will see. */
  readonly rpmOstree: readonly string[];
  readonly gaps: readonly string[];
  /** The image could not be looked at (offline, not found): no verdict. */
  readonly couldNotCheck?: string;
}

/**
 * One kind of signature's finding. In a key-only check a keyless signature fails as identity-mismatch
 * (the only way that code arises without an identity to match), so for keys it counts as missing.
 */
function finding(result: VerificationResult | undefined, what: string, keysOnly = false): SignatureFinding {
  if (!result) return { status: 'not-checked', detail: what };
  if (isVerified(result)) {
    const signer = result.signer.kind === 'keyless' ? result.signer.subject : `key ${result.signer.key}`;
    return { status: 'verified', layout: result.layout, digest: result.digest, signer, detail: `signed by ${signer}` };
  }
  const absent = keysOnly ? ['no-signature', 'identity-mismatch'] : ['no-signature'];
  const missing = result.code === 'no-signature' || result.attempts.every((a) => absent.includes(a.code));
  return { status: missing ? 'missing' : 'failed', detail: result.message };
}

/** Examines one image of the publisher's; `keys` are the publisher keys the OS should enforce. */
export async function checkPublishedImage(checks: ImageChecks, image: DockerReference, keys: readonly PublicKeyRef[]): Promise<PublisherReport> {
  const name = formatDockerReference(image);
  const expectation = await checks.expectationFor(image);
  const allKeys = [...keys, ...expectation.keys].filter((k, i, all) => all.findIndex((o) => o.hint === k.hint) === i);
  const extra = keys.filter((k) => !expectation.keys.some((e) => e.hint === k.hint));
  const expected = `${expectation.description}${extra.length > 0 ? `; the key${extra.length > 1 ? 's' : ''} given (${extra.map((k) => k.hint).join(', ')})` : ''}`;
  let resolved: ResolvedImage;
  try {
    resolved = await checks.resolve(image);
  } catch (error) {
    const failure = failureOf(image, error);
    const none: SignatureFinding = { status: 'not-checked', detail: failure.message };
    if (failure.code === 'image-not-found') {
      return { image: name, expected, keyless: none, key: none, rpmOstree: ['Nothing: the image does not exist.'], gaps: [`${name} does not exist: ${failure.message}`] };
    }
    return { image: name, expected, keyless: none, key: none, rpmOstree: [], gaps: [], couldNotCheck: failure.message };
  }
  const pin = { reference: image, digest: resolved.digest, platformDigest: resolved.platformDigest, fresh: true };
  const keylessResult = expectation.identity ? await verifyImage({ ...pin, identity: expectation.identity }, checks.trust) : undefined;
  const keyResult = allKeys.length > 0 ? await checks.checkKeySignature(resolved, allKeys) : undefined;
  const unchecked = [keylessResult, keyResult].find((r) => r && !isVerified(r) && isTrustFailureCode(r.code) && verdictOfCode(r.code) === 'unchecked' && r.code !== 'image-not-found');
  const keyless = finding(keylessResult, 'No keyless signer is configured or can be derived from the name; give --repository.');
  const key = finding(keyResult, 'No key given: give --key cosign.pub to check the signature the OS would enforce.', true);
  const multi = resolved.digest !== resolved.platformDigest;
  const at = (f: SignatureFinding): string => (f.digest === resolved.digest ? (multi ? 'at the index digest' : 'at the image digest') : `at ${f.digest ?? '?'} (not the digest the tag names)`);

  const signer = expectation.identity ? describeIdentity(expectation.identity) : expectation.description;
  const rpmOstree: string[] = [];
  const gaps: string[] = [];
  const legacyKeyless = keyless.status === 'verified' && keyless.layout === 'legacy';
  const legacyKey = key.status === 'verified' && key.layout === 'legacy';
  if (legacyKey) rpmOstree.push(`The key signature ${at(key)}: ostree-image-signed: with a sigstoreSigned rule for this key accepts this build, and refuses builds without it (key-enforced mode).`);
  if (legacyKeyless) {
    rpmOstree.push(`The keyless signature ${at(keyless)} (cosign's legacy .sig tag), but no policy.json rule can require a GitHub workflow identity: the OS cannot enforce it; Vespera Updates checks it (app-enforced mode).`);
  }
  if (!legacyKey && !legacyKeyless) {
    rpmOstree.push('No signature it can read: with a signature rule, ostree-image-signed: fails with "A signature was required, but no signature exists".');
  }
  if (keyless.status === 'verified' && keyless.layout === 'bundle') {
    gaps.push(`The keyless signature is only in cosign 3's Sigstore-bundle layout (an OCI referrer), which rpm-ostree cannot see. Also sign in the legacy layout: ${SIGN_FLAGS}`);
  } else if (keyless.status === 'missing') {
    gaps.push(`Not signed by ${signer}: sign it in the build workflow (${SIGN_FLAGS}).`);
  } else if (keyless.status === 'failed') {
    gaps.push(`A signature exists but does not verify as ${signer}: ${keyless.detail}`);
  }
  if (key.status === 'missing' && keyResult) {
    gaps.push(`${keyless.status === 'verified' ? 'Keyless only: no' : 'No'} signature by your key, so the OS cannot enforce this image (hosts can only use app-enforced mode). Also sign with the key: cosign sign --key cosign.key ${multi ? 'at the index digest ' : ''}(--new-bundle-format=false).`);
  } else if (key.status === 'failed') {
    gaps.push(`The key signature does not verify: ${key.detail}`);
  } else if (key.status === 'verified' && key.layout === 'bundle') {
    gaps.push(`The key signature is only in cosign 3's bundle layout, which rpm-ostree cannot see. Sign with the key in the legacy layout too: ${SIGN_FLAGS.replace('cosign sign', 'cosign sign --key cosign.key')}`);
  }
  for (const f of [keyless, key]) {
    if (f.status === 'verified' && f.digest !== resolved.digest) gaps.push(`A signature covers ${f.digest ?? '?'}, not the ${multi ? 'index' : 'image'} digest ${resolved.digest} that rpm-ostree checks: sign the digest the tag names.`);
  }
  return {
    image: name,
    digest: resolved.digest,
    ...(multi ? { platformDigest: resolved.platformDigest } : {}),
    expected,
    keyless,
    key,
    rpmOstree,
    gaps,
    ...(unchecked && !isVerified(unchecked) ? { couldNotCheck: unchecked.message } : {}),
  };
}
