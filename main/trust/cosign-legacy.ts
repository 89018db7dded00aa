// cosign's legacy signature layout: one `sha256-<hex>.sig` manifest per signed digest, one layer per
// signature, verification material in layer annotations, turned into a v0.1 Sigstore bundle.

import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { createHash } from 'node:crypto';
import { TrustError } from './errors.ts';
import { MEDIA_TYPES, type ImageManifest } from './manifests.ts';

export const COSIGN_ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  rekorBundle: 'dev.sigstore.cosign/bundle',
  timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
} as const;

/** containers/image's cap on one signature (iolimits.MaxSignatureBodySize). */
export const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;
/** More layers than this in one `.sig` manifest is not a signature list anyone made. */
export const MAX_SIGNATURE_LAYERS = 64;

/** One signature from a `.sig` manifest: the signed bytes and the layer's annotations. */
export interface LegacySignature {
  readonly payload: Buffer;
  readonly annotations: Readonly<Record<string, string>>;
}

/** The `dev.sigstore.cosign/bundle` annotation: a Rekor SET and the entry it signs. */
export interface RekorBundle {
  readonly SignedEntryTimestamp: string;
  readonly Payload: { readonly body: string; readonly integratedTime: number; readonly logIndex: number; readonly logID: string };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function malformed(why: string): TrustError {
  return new TrustError('unsupported-format', `the signature is malformed (${why}); it was not made by cosign or was damaged. Ask the publisher to sign the image again.`);
}

export function decodeBase64(text: string, what: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length === 0 || !BASE64.test(clean)) throw malformed(`${what} is not valid base64`);
  return Buffer.from(clean, 'base64');
}

/** The simplesigning layers of a `.sig` manifest (others are skipped, as containers/image does). */
export function signatureLayers(manifest: ImageManifest): ImageManifest['layers'] {
  return manifest.layers.filter((l) => l.mediaType === MEDIA_TYPES.cosignSimpleSigning).slice(0, MAX_SIGNATURE_LAYERS);
}

export function parseRekorBundle(text: string): RekorBundle {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed('the Rekor bundle annotation is not JSON');
  }
  const j = json as { SignedEntryTimestamp?: unknown; Payload?: Record<string, unknown> } | null;
  const p = j?.Payload;
  if (
    typeof j?.SignedEntryTimestamp !== 'string' ||
    typeof p !== 'object' ||
    p === null ||
    typeof p.body !== 'string' ||
    typeof p.integratedTime !== 'number' ||
    !Number.isSafeInteger(p.integratedTime) ||
    typeof p.logIndex !== 'number' ||
    !Number.isSafeInteger(p.logIndex) ||
    typeof p.logID !== 'string' ||
    !/^[0-9a-f]{64}$/.test(p.logID)
  ) {
    throw malformed('the Rekor bundle annotation lacks its SET, body, time, index or log ID');
  }
  decodeBase64(j.SignedEntryTimestamp, 'the SET');
  decodeBase64(p.body, 'the Rekor entry body');
  return { SignedEntryTimestamp: j.SignedEntryTimestamp, Payload: { body: p.body, integratedTime: p.integratedTime, logIndex: p.logIndex, logID: p.logID } };
}

function leafFromPem(pem: string): Buffer {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw malformed('the certificate annotation holds no PEM certificate');
  const der = decodeBase64(match[1] ?? '', 'the certificate');
  try {
    X509Certificate.parse(Buffer.from(der));
  } catch {
    throw malformed('the certificate annotation is not an X.509 certificate');
  }
  return der;
}

/**
 * Converts a legacy signature to a v0.1 bundle (the only version that allows a SET without an
 * inclusion proof). `keyHint` names the public key for keyed signatures (no certificate).
 */
export function legacyToBundle(signature: LegacySignature, keyHint?: string): { bundle: Bundle; rekor?: RekorBundle; certificateDer?: Buffer } {
  const a = signature.annotations;
  const sig = a[COSIGN_ANNOTATIONS.signature];
  if (sig === undefined) throw malformed('the layer has no signature annotation');
  decodeBase64(sig, 'the signature');
  const certPem = a[COSIGN_ANNOTATIONS.certificate];
  const certificateDer = certPem !== undefined && certPem.trim() !== '' ? leafFromPem(certPem) : undefined;
  const rekorText = a[COSIGN_ANNOTATIONS.rekorBundle];
  const rekor = rekorText !== undefined ? parseRekorBundle(rekorText) : undefined;
  let kindVersion = { kind: 'hashedrekord', version: '0.0.1' };
  if (rekor) {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString('utf8'));
    } catch {
      throw malformed('the Rekor entry body is not JSON');
    }
    const b = body as { kind?: unknown; apiVersion?: unknown } | null;
    if (typeof b?.kind !== 'string' || typeof b.apiVersion !== 'string') throw malformed('the Rekor entry body has no kind');
    kindVersion = { kind: b.kind, version: b.apiVersion };
  }
  const timestampText = a[COSIGN_ANNOTATIONS.timestamp];
  let rfc3161: string | undefined;
  if (timestampText !== undefined) {
    let ts: unknown;
    try {
      ts = JSON.parse(timestampText);
    } catch {
      throw malformed('the RFC 3161 timestamp annotation is not JSON');
    }
    const value = (ts as { SignedRFC3161Timestamp?: unknown } | null)?.SignedRFC3161Timestamp;
    if (typeof value !== 'string') throw malformed('the RFC 3161 timestamp annotation has no timestamp');
    decodeBase64(value, 'the RFC 3161 timestamp');
    rfc3161 = value;
  }
  if (!certificateDer && keyHint === undefined) throw malformed('a keyless signature without a certificate');
  const serialized = {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      ...(certificateDer
        ? { x509CertificateChain: { certificates: [{ rawBytes: certificateDer.toString('base64') }] } }
        : { publicKey: { hint: keyHint } }),
      tlogEntries: rekor
        ? [
            {
              logIndex: String(rekor.Payload.logIndex),
              logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
              kindVersion,
              integratedTime: String(rekor.Payload.integratedTime),
              inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
              canonicalizedBody: rekor.Payload.body,
            },
          ]
        : [],
      ...(rfc3161 ? { timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: rfc3161 }] } } : {}),
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(signature.payload).digest('base64') },
      signature: sig.replace(/\s+/g, ''),
    },
  };
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(serialized);
  } catch (error) {
    throw malformed(`it does not form a valid Sigstore bundle: ${(error as Error).message}`);
  }
  return { bundle, ...(rekor ? { rekor } : {}), ...(certificateDer ? { certificateDer } : {}) };
}

const SIGSTORE_FILE_PREFIX = Buffer.from('\0sigstore-json\n');

/**
 * A signature as containers/image stores it on disk (`dir:` transport, lookaside): the prefix
 * `\0sigstore-json\n`, then `{"mimeType", "payload" (base64), "annotations"}`.
 */
export function parseContainersSigstoreFile(bytes: Buffer): LegacySignature {
  if (bytes.length > MAX_SIGNATURE_BYTES || !bytes.subarray(0, SIGSTORE_FILE_PREFIX.length).equals(SIGSTORE_FILE_PREFIX)) {
    throw malformed('the file is not a containers/image sigstore signature');
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(SIGSTORE_FILE_PREFIX.length).toString('utf8'));
  } catch {
    throw malformed('the file does not hold JSON');
  }
  const j = json as { mimeType?: unknown; payload?: unknown; annotations?: unknown } | null;
  if (j?.mimeType !== MEDIA_TYPES.cosignSimpleSigning || typeof j.payload !== 'string' || typeof j.annotations !== 'object' || j.annotations === null) {
    throw malformed('the file lacks the simple-signing payload or its annotations');
  }
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(j.annotations as Record<string, unknown>)) if (typeof v === 'string') annotations[k] = v;
  return { payload: decodeBase64(j.payload, 'the payload'), annotations };
}
