// The cryptographic half of verifying one signature: @sigstore/verify's offline Verifier against a
// trust root (chain, SCTs, SET/inclusion proof, timestamps, signature), plus the checks it leaves out.

import type { Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, type SignedEntity } from '@sigstore/verify';
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { describeError } from '../shared/errors.ts';
import { describeCertificate, hasCodeSigningUsage, type CertificateIdentity } from './certificate.ts';
import { decodeBase64, legacyToBundle, type LegacySignature, type RekorBundle } from './cosign-legacy.ts';
import { TrustError, type TrustFailureCode } from './errors.ts';
import type { PublicKeyRef } from './keys.ts';
import { verifyPrehashedEcdsa } from './prehashed-ecdsa.ts';
import type { TrustRoot } from './trust-root.ts';

export interface TlogEntryInfo {
  readonly logIndex: number;
  /** ISO 8601; when the log says it saw the signature. */
  readonly integratedTime: string;
  /** hex sha256 of the log's public key. */
  readonly logId: string;
}

export type CryptoSigner =
  | { readonly kind: 'keyless'; readonly certificate: CertificateIdentity }
  | { readonly kind: 'key'; readonly key: PublicKeyRef };

export type CryptoOutcome =
  | { readonly ok: true; readonly signer: CryptoSigner; readonly tlog?: TlogEntryInfo; readonly bundle: Bundle; readonly rekor?: RekorBundle }
  | { readonly ok: false; readonly code: TrustFailureCode; readonly reason: string };

export interface CryptoOptions {
  readonly trustRoot: TrustRoot;
  /** Keys a keyed signature may be made with; none means keyed signatures are not accepted. */
  readonly keys: readonly PublicKeyRef[];
  /** Whether keyless (certificate) signatures are acceptable at all. */
  readonly acceptKeyless: boolean;
  readonly now?: Date;
}

/** What a bundle signed: the artifact bytes, or only their sha256 (verify-bundle with a digest). */
export type Artifact = Buffer | { readonly sha256: Buffer };

const fail = (code: TrustFailureCode, reason: string): CryptoOutcome => ({ ok: false, code, reason });

function hashFor(key: KeyObject, fallback: string): string | null {
  return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : fallback;
}

function verifies(data: Buffer, key: KeyObject, signature: Buffer, hash: string): boolean {
  try {
    return cryptoVerify(hashFor(key, hash), data, key, signature);
  } catch {
    return false;
  }
}

/** A legacy `.sig` layer: keyless when it carries a certificate, else keyed with one of `keys`. */
export function checkLegacySignature(signature: LegacySignature, options: CryptoOptions): CryptoOutcome {
  let converted: ReturnType<typeof legacyToBundle>;
  let keyRef: PublicKeyRef | undefined;
  try {
    const sigText = signature.annotations['dev.cosignproject.cosign/signature'];
    const sigBytes = sigText === undefined ? Buffer.alloc(0) : decodeBase64(sigText, 'the signature');
    const hasCertificate = (signature.annotations['dev.sigstore.cosign/certificate'] ?? '').trim() !== '';
    if (!hasCertificate && sigText !== undefined) {
      if (options.keys.length === 0) return fail('identity-mismatch', 'it was made with a publisher key, and no key is trusted for this image');
      keyRef = options.keys.find((k) => verifies(signature.payload, k.key, sigBytes, 'sha256'));
      if (!keyRef) return fail('bad-signature', `it does not verify with ${options.keys.map((k) => k.source).join(' or ')}`);
    }
    converted = legacyToBundle(signature, keyRef?.hint);
  } catch (error) {
    return classify(error);
  }
  const outcome = checkBundle(converted.bundle, signature.payload, keyRef ? { ...options, keys: [keyRef] } : options);
  return outcome.ok && converted.rekor ? { ...outcome, rekor: converted.rekor } : outcome;
}

/** A Sigstore bundle (cosign 3 layout, or a converted legacy layer). DSSE bundles need no artifact. */
export function checkBundle(bundle: Bundle, artifact: Artifact | undefined, options: CryptoOptions): CryptoOutcome {
  const now = options.now ?? new Date();
  const material = bundle.verificationMaterial;
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, Buffer.isBuffer(artifact) ? artifact : undefined);
  } catch (error) {
    return classify(error);
  }
  const signature = entity.signature.signature;
  const signedData = signedBytes(bundle, artifact);

  let leaf: X509Certificate | undefined;
  let keyRef: PublicKeyRef | undefined;
  let verifyKey: KeyObject;
  if (entity.key.$case === 'certificate') {
    if (!options.acceptKeyless) return fail('identity-mismatch', 'it is a keyless signature, and only a publisher key is trusted for this image');
    leaf = entity.key.certificate;
    verifyKey = createPublicKey({ key: leaf.publicKey, format: 'der', type: 'spki' });
  } else {
    if (options.keys.length === 0) return fail('identity-mismatch', 'it was made with a publisher key, and no key is trusted for this image');
    const hint = entity.key.hint;
    const ordered = [...options.keys].sort((a, b) => Number(b.hint === hint) - Number(a.hint === hint));
    keyRef = ordered.find((k) => signatureVerifies(bundle, signedData, artifact, k.key, signature));
    if (!keyRef) return fail('bad-signature', `it does not verify with ${options.keys.map((k) => k.source).join(' or ')}`);
    verifyKey = keyRef.key;
  }

  // Checked first so a changed payload is reported as such, not as whatever check trips first.
  if (!signatureVerifies(bundle, signedData, artifact, verifyKey, signature)) {
    return fail('bad-signature', 'the signature does not match the signed content; the content was changed after signing');
  }
  if (leaf && !hasCodeSigningUsage(leaf)) return fail('untrusted-chain', 'its certificate is not a code-signing certificate');
  for (const entry of material.tlogEntries) {
    const mismatch = logBodyKeyMismatch(entry.canonicalizedBody, leaf, verifyKey);
    if (mismatch) return fail('tlog-invalid', mismatch);
  }

  const timestamps = entity.timestamps.length;
  const keyed = entity.key.$case === 'public-key';
  const verifier = new Verifier(keyRef ? withKey(options.trustRoot, keyRef) : options.trustRoot.material(), {
    ctlogThreshold: options.trustRoot.hasCtLogs ? 1 : 0,
    // A key signature without a log entry is what `cosign sign --tlog-upload=false` makes and
    // what containers/image accepts for keyPath policies; a keyless one never is.
    tlogThreshold: keyed && material.tlogEntries.length === 0 ? 0 : 1,
    timestampThreshold: keyed && timestamps === 0 ? 0 : 1,
  });
  try {
    const verified = Buffer.isBuffer(artifact) || artifact === undefined ? entity : { ...entity, signature: prehashedContent(entity, artifact, verifyKey) };
    verifier.verify(verified);
  } catch (error) {
    return classify(error, leaf, now, timestamps);
  }
  const first = material.tlogEntries[0];
  const tlog: TlogEntryInfo | undefined = first
    ? {
        logIndex: Number(first.logIndex),
        integratedTime: new Date(Number(first.integratedTime) * 1000).toISOString(),
        logId: first.logId.keyId.toString('hex'),
      }
    : undefined;
  const signer: CryptoSigner = leaf ? { kind: 'keyless', certificate: describeCertificate(leaf) } : { kind: 'key', key: keyRef as PublicKeyRef };
  return { ok: true, signer, bundle, ...(tlog && first?.integratedTime !== '0' ? { tlog } : {}) };
}

/** The bytes the signature is over: the artifact, or DSSE's pre-authentication encoding. */
function signedBytes(bundle: Bundle, artifact: Artifact | undefined): Buffer | undefined {
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    const type = Buffer.from(env.payloadType, 'utf8');
    return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${env.payloadType} ${env.payload.length} `, 'utf8'), env.payload]);
  }
  return Buffer.isBuffer(artifact) ? artifact : undefined;
}

function signatureVerifies(bundle: Bundle, data: Buffer | undefined, artifact: Artifact | undefined, key: KeyObject, signature: Buffer): boolean {
  if (data) return verifies(data, key, signature, bundle.content.$case === 'messageSignature' ? hashName(bundle) : 'sha256');
  if (artifact && !Buffer.isBuffer(artifact)) return verifyPrehashedEcdsa(key, artifact.sha256, signature);
  return false;
}

function hashName(bundle: Bundle): string {
  if (bundle.content.$case !== 'messageSignature') return 'sha256';
  const algorithm = bundle.content.messageSignature.messageDigest.algorithm;
  return algorithm === HashAlgorithm.SHA2_384 ? 'sha384' : algorithm === HashAlgorithm.SHA2_512 ? 'sha512' : 'sha256';
}

/** The signature check for a message signature known only by its sha256 (conformance "digest" mode). */
function prehashedContent(entity: SignedEntity, artifact: { sha256: Buffer }, key: KeyObject): SignedEntity['signature'] {
  const inner = entity.signature;
  return {
    signature: inner.signature,
    compareSignature: (s) => inner.compareSignature(s),
    compareDigest: (d) => inner.compareDigest(d) && d.equals(artifact.sha256),
    compareSignedDigest: (d) => inner.compareSignedDigest(d) && d.equals(artifact.sha256),
    verifySignature: (k) => k.equals(key) && inner.compareDigest(artifact.sha256) && verifyPrehashedEcdsa(k, artifact.sha256, inner.signature),
  };
}

function withKey(trustRoot: TrustRoot, key: PublicKeyRef): ReturnType<TrustRoot['material']> {
  const material = trustRoot.material();
  material.publicKey = (hint: string) => {
    if (hint !== key.hint) throw new TrustError('bad-signature', `the signature names key ${hint}, not ${key.source}`);
    return { publicKey: key.key, validFor: () => true };
  };
  return material;
}

/**
 * containers/image also requires the log entry to name the same certificate or key that made the
 * signature; sigstore-js does not look. Returns why they differ, or undefined.
 */
function logBodyKeyMismatch(canonicalizedBody: Buffer, leaf: X509Certificate | undefined, key: KeyObject): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(canonicalizedBody.toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'its transparency log entry is not JSON';
  }
  const spec = body.spec as Record<string, unknown> | undefined;
  let pemBase64: unknown;
  if (body.kind === 'hashedrekord' && body.apiVersion === '0.0.1') {
    pemBase64 = ((spec?.signature as Record<string, unknown> | undefined)?.publicKey as Record<string, unknown> | undefined)?.content;
  } else if (body.kind === 'dsse' && body.apiVersion === '0.0.1') {
    pemBase64 = ((spec?.signatures as Array<Record<string, unknown>> | undefined)?.[0])?.verifier;
  } else {
    return undefined;
  }
  if (typeof pemBase64 !== 'string') return 'its transparency log entry does not name the signing key';
  const pem = Buffer.from(pemBase64, 'base64').toString('utf8');
  try {
    if (pem.includes('BEGIN CERTIFICATE')) {
      if (!leaf || !X509Certificate.parse(pem).equals(leaf)) return 'its transparency log entry is for another certificate';
      return undefined;
    }
    const logged = createPublicKey({ key: pem, format: 'pem' });
    return logged.equals(key) ? undefined : 'its transparency log entry is for another key';
  } catch {
    return 'its transparency log entry names an unreadable key';
  }
}

/** Maps a verifier exception to a failure code and a reason a person can read. */
function classify(error: unknown, leaf?: X509Certificate, now: Date = new Date(), timestamps = 0): CryptoOutcome {
  if (error instanceof TrustError) return fail(error.code, error.message);
  const name = (error as { name?: string }).name;
  const code = (error as { code?: string }).code;
  const message = describeError(error);
  const causeMessage = describeError((error as { cause?: unknown }).cause ?? '');
  if (name === 'VerificationError') {
    switch (code) {
      case 'CERTIFICATE_ERROR':
        if (/expired|not valid/.test(causeMessage) || /expired/.test(message)) return fail('cert-expired', 'its certificate was not valid when the signature was logged');
        if (/SCT/.test(message)) return fail('untrusted-chain', `its certificate was not logged by a trusted certificate transparency log (${message})`);
        return fail('untrusted-chain', 'its certificate was not issued by a trusted certificate authority');
      case 'TIMESTAMP_ERROR':
        if (timestamps === 0 && leaf && !leaf.validForDate(now)) {
          return fail('cert-expired', `its certificate expired at ${leaf.notAfter.toISOString()} and no transparency log entry proves it was used before`);
        }
        return fail('tlog-invalid', `it has no trusted proof of when it was made (${message})`);
      case 'TLOG_ERROR':
      case 'TLOG_BODY_ERROR':
      case 'TLOG_INCLUSION_PROMISE_ERROR':
      case 'TLOG_INCLUSION_PROOF_ERROR':
      case 'TLOG_MISSING_INCLUSION_ERROR':
        return fail('tlog-invalid', `its transparency log entry does not check out (${message})`);
      case 'SIGNATURE_ERROR':
      case 'PUBLIC_KEY_ERROR':
        return fail('bad-signature', `the signature does not verify (${message})`);
      default:
        return fail('unsupported-format', `it uses something this app cannot verify (${message})`);
    }
  }
  if (name === 'PolicyError') return fail('identity-mismatch', message);
  return fail('unsupported-format', `the signature is malformed (${message})`);
}
