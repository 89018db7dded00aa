// The signatures of one digest, in both cosign layouts (the legacy `.sig` tag, cosign 3 bundle
// referrers), each a candidate that checks its cryptography, its signer and what it binds the digest to.

import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { quoted } from '../shared/display-text.ts';
import { describeError } from '../shared/errors.ts';
import { repositoryName, type DockerReference, type Sha256Digest } from '../shared/image-reference.ts';
import { MAX_SIGNATURE_BYTES, signatureLayers } from './cosign-legacy.ts';
import { TrustError, type TrustFailureCode } from './errors.ts';
import { checkIdentity, describeIdentity, type IdentityPolicy } from './identity-policy.ts';
import type { ImageSource } from './image-source.ts';
import type { PublicKeyRef } from './keys.ts';
import { MEDIA_TYPES, referrersTag, signatureTag } from './manifests.ts';
import {
  COSIGN_SIGN_PREDICATE,
  describeSignedIdentity,
  parseInTotoStatement,
  parseSimpleSigningPayload,
  signedIdentityMatches,
  type InTotoStatement,
  type SignedIdentityRule,
  type SimpleSigningPayload,
} from './payload.ts';
import { bindToRepository } from './repository-binding.ts';
import { cosignEntry, type RepositoryBinding, type SignatureAttempt, type SignatureLayout, type SignerDetails, type VerifiedImage } from './result.ts';
import { checkBundle, checkLegacySignature, type CryptoOptions, type CryptoOutcome } from './signature-check.ts';
import type { TrustContext } from './verify-image.ts';

/** Referrers looked at per digest: a registry listing thousands must not make verification slow. */
const MAX_REFERRERS = 16;

export interface Target {
  readonly source: ImageSource;
  readonly signatureSource: ImageSource;
  /** The tag or digest to resolve in the source. */
  readonly lookup: string;
  /** The image as containers/image would name it, for signedIdentity; undefined for unnamed layouts. */
  readonly intended?: DockerReference;
  readonly display: string;
}

export interface Candidate {
  readonly layout: SignatureLayout;
  readonly where: string;
  /** Signed digest this candidate was found for. */
  readonly digest: Sha256Digest;
  readonly evaluate: () => Promise<Evaluation>;
}

export type Evaluation =
  | { readonly ok: true; readonly build: (base: BaseResult) => VerifiedImage }
  | { readonly ok: false; readonly code: TrustFailureCode; readonly reason: string };

export interface BaseResult {
  readonly reference: string;
  readonly platformDigest?: Sha256Digest;
  readonly signaturesFound: number;
}

export interface CheckInputs {
  readonly identity: IdentityPolicy | undefined;
  /** The platform manifest verified through the index, where the labels that bind a bundle live. */
  readonly platformDigest?: Sha256Digest;
  readonly keys: readonly PublicKeyRef[];
  readonly signedIdentity: SignedIdentityRule;
  readonly target: Target;
  readonly crypto: CryptoOptions;
  readonly context: TrustContext;
}

export function attemptError(error: unknown): { ok: false; code: TrustFailureCode; reason: string } {
  if (error instanceof TrustError) return { ok: false, code: error.code, reason: error.message.replace(/\.$/, '') };
  return { ok: false, code: 'unsupported-format', reason: `it could not be read (${describeError(error)})` };
}

export async function legacyCandidates(digest: Sha256Digest, check: CheckInputs, attempts: SignatureAttempt[]): Promise<Candidate[]> {
  const tag = signatureTag(digest);
  const source = check.target.signatureSource;
  const fetched = await source.manifest(tag, [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
  if (!fetched) return [];
  if (fetched.manifest.kind !== 'manifest') {
    attempts.push({ layout: 'legacy', where: tag, code: 'no-signature', reason: `the ${tag} tag holds an index, not cosign signatures` });
    return [];
  }
  const layers = signatureLayers(fetched.manifest);
  if (layers.length === 0) {
    attempts.push({ layout: 'legacy', where: tag, code: 'no-signature', reason: `the ${tag} tag holds no cosign signature layer` });
    return [];
  }
  // containers/image looks only in the image's own repository, and refuses Docker-typed signature
  // manifests (COSIGN_DOCKER_MEDIA_TYPES).
  const visible = source.kind === 'registry' && source === check.target.source && fetched.mediaType === MEDIA_TYPES.ociManifest;
  return layers.map((layer, i) => ({
    layout: 'legacy' as const,
    where: `layer ${i + 1} of ${tag}`,
    digest,
    evaluate: async (): Promise<Evaluation> => {
      let payload: Buffer;
      try {
        payload = await source.blob(layer.digest, MAX_SIGNATURE_BYTES, layer.size);
      } catch (error) {
        return attemptError(error);
      }
      const outcome = checkLegacySignature({ payload, annotations: layer.annotations }, check.crypto);
      const identityProblem = checkSigner(outcome, check);
      if (identityProblem) return identityProblem;
      if (!outcome.ok) return outcome;
      let signed: SimpleSigningPayload;
      try {
        signed = parseSimpleSigningPayload(payload);
      } catch (error) {
        return attemptError(error);
      }
      if (signed.manifestDigest !== digest) {
        return { ok: false, code: 'digest-mismatch', reason: `it signs ${signed.manifestDigest}, a different image` };
      }
      const intended = check.target.intended;
      if (!intended) {
        return { ok: false, code: 'invalid-input', reason: `it names ${signed.dockerReference}; say which repository the image must be (--reference) to check that` };
      }
      if (!signedIdentityMatches(check.signedIdentity, intended, signed.dockerReference)) {
        return {
          ok: false,
          code: 'identity-mismatch',
          reason: `it was signed for ${signed.dockerReference}, which does not match ${repositoryName(intended)} (${describeSignedIdentity(check.signedIdentity)})`,
        };
      }
      return {
        ok: true,
        build: (base) =>
          verifiedResult(base, outcome, check, {
            layout: 'legacy',
            digest,
            visible,
            claimedReference: signed.dockerReference,
            binding: { kind: 'signed-reference', reference: signed.dockerReference },
            cosign: cosignEntry({
              dockerReference: signed.dockerReference,
              digest: signed.manifestDigest,
              optional: signed.optional,
              ...(outcome.rekor ? { rekor: outcome.rekor } : {}),
              ...(outcome.signer.kind === 'keyless' ? { certificate: outcome.signer.certificate } : {}),
            }),
          }),
      };
    },
  }));
}

export async function bundleCandidates(digest: Sha256Digest, check: CheckInputs, attempts: SignatureAttempt[]): Promise<Candidate[]> {
  const source = check.target.signatureSource;
  let index = await source.referrers(digest);
  if (!index) {
    const fallback = await source.manifest(referrersTag(digest), [MEDIA_TYPES.ociIndex]);
    // Some registries resolve `sha256-<hex>` to the image itself; only an index lists referrers.
    if (fallback?.manifest.kind === 'index') index = fallback.manifest;
  }
  if (!index) return [];
  const candidates: Candidate[] = [];
  for (const descriptor of index.manifests.slice(0, MAX_REFERRERS)) {
    // Fallback indexes written by cosign often lack or misstate artifactType; only the manifest counts.
    if (descriptor.mediaType !== MEDIA_TYPES.ociManifest) continue;
    const where = `referrer ${descriptor.digest}`;
    const referrer = await source.manifest(descriptor.digest, [MEDIA_TYPES.ociManifest]);
    if (!referrer || referrer.manifest.kind !== 'manifest') continue;
    const m = referrer.manifest;
    const layer = m.layers[0];
    const type = m.artifactType ?? layer?.mediaType;
    if (type !== MEDIA_TYPES.sigstoreBundleV03 || !layer || layer.mediaType !== MEDIA_TYPES.sigstoreBundleV03) continue;
    if (m.subject?.digest !== digest) {
      attempts.push({ layout: 'bundle', where, code: 'digest-mismatch', reason: `the referrer is about ${m.subject?.digest ?? 'no image'}, not ${digest}` });
      continue;
    }
    candidates.push({
      layout: 'bundle',
      where,
      digest,
      evaluate: async (): Promise<Evaluation> => {
        let bundle: Bundle;
        try {
          const bytes = await source.blob(layer.digest, MAX_SIGNATURE_BYTES, layer.size);
          let json: unknown;
          try {
            json = JSON.parse(bytes.toString('utf8'));
          } catch {
            throw new TrustError('unsupported-format', 'the bundle is not JSON');
          }
          try {
            bundle = bundleFromJSON(json);
          } catch (error) {
            throw new TrustError('unsupported-format', `the bundle is not a valid Sigstore bundle (${describeError(error)})`);
          }
        } catch (error) {
          return attemptError(error);
        }
        if (bundle.content.$case !== 'dsseEnvelope') {
          return { ok: false, code: 'unsupported-format', reason: 'the bundle signs a message, not an in-toto statement about the image' };
        }
        let statement: InTotoStatement;
        try {
          statement = parseInTotoStatement(bundle.content.dsseEnvelope.payloadType, bundle.content.dsseEnvelope.payload);
          if (statement.predicateType !== COSIGN_SIGN_PREDICATE) {
            return { ok: false, code: 'no-signature', reason: `the bundle is an attestation (${quoted(statement.predicateType)}), not a signature` };
          }
        } catch (error) {
          return attemptError(error);
        }
        const subjects = statement.subjectDigests;
        const outcome = checkBundle(bundle, undefined, check.crypto);
        const identityProblem = checkSigner(outcome, check);
        if (identityProblem) return identityProblem;
        if (!outcome.ok) return outcome;
        if (!subjects.includes(digest)) return { ok: false, code: 'digest-mismatch', reason: `it signs ${subjects.join(', ')}, a different image` };
        // A cosign 3 statement names only the digest: what says this digest is this repository's?
        const statementName = statement.subjectNames.get(digest);
        const signerRepository = outcome.signer.kind === 'keyless' ? outcome.signer.certificate.sourceRepository : undefined;
        let bound: Awaited<ReturnType<typeof bindToRepository>>;
        try {
          bound = await bindToRepository({
            source: check.target.source,
            digest,
            ...(check.platformDigest ? { platformDigest: check.platformDigest } : {}),
            ...(check.target.intended ? { intended: check.target.intended } : {}),
            ...(signerRepository !== undefined ? { signerRepository } : {}),
            ...(statementName !== undefined ? { statementName } : {}),
          });
        } catch (error) {
          return attemptError(error);
        }
        if (!bound.ok) return bound;
        const binding = bound.binding;
        return {
          ok: true,
          build: (base) =>
            verifiedResult(base, outcome, check, {
              layout: 'bundle',
              digest,
              visible: false,
              binding,
              cosign: cosignEntry({
                ...(binding.kind === 'statement-name' ? { dockerReference: binding.name } : {}),
                digest,
                optional: null,
                ...(outcome.signer.kind === 'keyless' ? { certificate: outcome.signer.certificate } : {}),
              }),
            }),
        };
      },
    });
  }
  return candidates;
}

/** After the cryptography: is the signer the one expected? Undefined when it is (or crypto failed). */
function checkSigner(outcome: CryptoOutcome, check: CheckInputs): Evaluation | undefined {
  if (!outcome.ok || outcome.signer.kind !== 'keyless' || !check.identity) return undefined;
  const verdict = checkIdentity(check.identity, outcome.signer.certificate);
  if (verdict.ok) return undefined;
  return { ok: false, code: verdict.code ?? 'identity-mismatch', reason: verdict.reason ?? 'the signer is not the expected one' };
}

function verifiedResult(
  base: BaseResult,
  outcome: Extract<CryptoOutcome, { ok: true }>,
  check: CheckInputs,
  found: { layout: SignatureLayout; digest: Sha256Digest; visible: boolean; claimedReference?: string; binding: RepositoryBinding; cosign: VerifiedImage['cosign'] },
): VerifiedImage {
  let signer: SignerDetails;
  let policy: VerifiedImage['policy'];
  if (outcome.signer.kind === 'keyless') {
    const c = outcome.signer.certificate;
    signer = {
      kind: 'keyless',
      subject: c.subject ?? '',
      issuer: c.issuer ?? '',
      ...(c.sourceRepository ? { sourceRepository: c.sourceRepository } : {}),
      ...(c.sourceRepositoryRef ? { sourceRepositoryRef: c.sourceRepositoryRef } : {}),
      workflow: c.buildConfigUri ?? c.subject ?? '',
      ...(c.commit ? { commit: c.commit } : {}),
      ...(c.runInvocationUri ? { runInvocationUri: c.runInvocationUri } : {}),
      certificate: { notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString() },
    };
    const identity = check.identity as IdentityPolicy;
    policy = { description: describeIdentity(identity), origin: identity.origin };
  } else {
    signer = { kind: 'key', keyId: outcome.signer.key.hint, key: outcome.signer.key.source };
    policy = { description: `the key ${outcome.signer.key.source}`, origin: 'key' };
  }
  return {
    status: 'verified',
    ...base,
    digest: found.digest,
    layout: found.layout,
    signer,
    policy,
    ...(outcome.tlog ? { tlog: outcome.tlog } : {}),
    visibleToRpmOstree: found.visible,
    ...(found.claimedReference !== undefined ? { claimedReference: found.claimedReference } : {}),
    binding: found.binding,
    verifiedAt: (check.context.now?.() ?? new Date()).toISOString(),
    cached: false,
    cosign: found.cosign,
  };
}
