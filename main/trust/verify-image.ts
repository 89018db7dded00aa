// verifyImage: resolve an image to a digest, find its cosign signatures in both layouts, and verify
// them against the trust root, the expected signer and the digest; "verified" only without doubt.

import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import type { Config, RegistrySettings } from '../shared/config.ts';
import { registrySettings } from '../shared/config.ts';
import { inlineText, quoted } from '../shared/display-text.ts';
import { describeError } from '../shared/errors.ts';
import {
  formatDockerReference,
  parseDockerReference,
  repositoryName,
  type DockerReference,
  type Sha256Digest,
} from '../shared/image-reference.ts';
import { MAX_SIGNATURE_BYTES, signatureLayers } from './cosign-legacy.ts';
import { CredentialStore } from './credentials.ts';
import { TrustError, type TrustFailureCode } from './errors.ts';
import { checkIdentity, deriveIdentity, describeIdentity, type IdentityPolicy } from './identity-policy.ts';
import { OciLayoutSource, parseOciLayoutReference, registrySource, type ImageSource } from './image-source.ts';
import type { PublicKeyRef } from './keys.ts';
import { isCosignTag, MEDIA_TYPES, referrersTag, selectPlatform, signatureTag } from './manifests.ts';
import {
  COSIGN_SIGN_PREDICATE,
  DEFAULT_SIGNED_IDENTITY,
  describeSignedIdentity,
  parseInTotoStatement,
  type InTotoStatement,
  parseSimpleSigningPayload,
  signedIdentityMatches,
  type SignedIdentityRule,
  type SimpleSigningPayload,
} from './payload.ts';
import { RegistryClient } from './registry-client.ts';
import { bindToRepository } from './repository-binding.ts';
import {
  cosignEntry,
  failureMessage,
  type RepositoryBinding,
  type SignatureAttempt,
  type SignatureLayout,
  type SignerDetails,
  type VerificationFailure,
  type VerificationResult,
  type VerifiedImage,
} from './result.ts';
import { checkBundle, checkLegacySignature, type CryptoOptions, type CryptoOutcome } from './signature-check.ts';
import { RefreshableTrustRoot, trustRootFromConfig, type TrustRoot } from './trust-root.ts';
import { VerificationCache } from './verification-cache.ts';

export interface VerifyImageRequest {
  /** `ghcr.io/OWNER/IMAGE[:TAG][@DIGEST]`, a parsed reference, or `oci:DIR[:TAG]`. */
  readonly reference: DockerReference | string;
  /** The digest to verify (what the tag resolved to earlier, or what is staged); pins the check. */
  readonly digest?: Sha256Digest;
  /**
   * The platform manifest rpm-ostree records for a deployment. When the reference names an index,
   * the signed index must list exactly this digest, or this digest must carry its own signature.
   */
  readonly platformDigest?: Sha256Digest;
  /** Platform to select from an index when no platformDigest is given (default: linux/host arch). */
  readonly platform?: { readonly os?: string; readonly architecture?: string };
  /** Keyless expectation; when neither this nor keys are given it is derived from the image. */
  readonly identity?: IdentityPolicy;
  /** Publisher keys (cosign.pub) whose signatures are accepted. */
  readonly keys?: readonly PublicKeyRef[];
  /** containers/image signedIdentity rule for the legacy payload's docker-reference (default matchRepository). */
  readonly signedIdentity?: SignedIdentityRule;
  /** For `oci:` layouts: the repository the signature must claim (`--reference ghcr.io/acme/vespera`). */
  readonly signedReference?: string;
  /** Signatures live in another repository (cosign's COSIGN_REPOSITORY). */
  readonly signatureRepository?: DockerReference;
  /** Ask again even if the cache has an answer. */
  readonly fresh?: boolean;
}

export interface TrustContext {
  readonly registry: RegistryClient;
  /** The root in force now; it may change when refreshTrustRoot finds a new one. */
  readonly trustRoot: TrustRoot;
  readonly cache?: VerificationCache;
  /** Per-registry settings (for identities derived from GitHub package names). */
  readonly settingsFor: (host: string) => RegistrySettings;
  readonly now?: () => Date;
  /**
   * Reloads the configured trust root; true when it changed, and then every cached verdict (made
   * under the old root) is dropped. Absent when the root was given explicitly.
   */
  readonly refreshTrustRoot?: () => Promise<boolean>;
}

/** A TrustContext from the app configuration: its registries, credentials files and trust root. */
export async function createTrustContext(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  overrides: { trustRoot?: TrustRoot; registry?: Partial<ConstructorParameters<typeof RegistryClient>[0]> } = {},
): Promise<TrustContext> {
  const settingsFor = (host: string): RegistrySettings => registrySettings(config, host);
  const registry = new RegistryClient({ settingsFor, credentials: CredentialStore.fromEnvironment(env), ...overrides.registry });
  const cache = new VerificationCache();
  if (overrides.trustRoot) return { registry, trustRoot: overrides.trustRoot, cache, settingsFor };
  const load = (): Promise<TrustRoot> => trustRootFromConfig(config.trust, env, { maxAgeMs: config.trust.refreshEveryMs });
  const root = new RefreshableTrustRoot(await load(), load);
  return {
    registry,
    get trustRoot() {
      return root.current;
    },
    cache,
    settingsFor,
    refreshTrustRoot: async () => {
      const changed = (await root.refresh()) !== undefined;
      if (changed) cache.clear();
      return changed;
    },
  };
}

interface Target {
  readonly source: ImageSource;
  readonly signatureSource: ImageSource;
  /** The tag or digest to resolve in the source. */
  readonly lookup: string;
  /** The image as containers/image would name it, for signedIdentity; undefined for unnamed layouts. */
  readonly intended?: DockerReference;
  readonly display: string;
}

interface Candidate {
  readonly layout: SignatureLayout;
  readonly where: string;
  /** Signed digest this candidate was found for. */
  readonly digest: Sha256Digest;
  readonly evaluate: () => Promise<Evaluation>;
}

type Evaluation =
  | { readonly ok: true; readonly build: (base: BaseResult) => VerifiedImage }
  | { readonly ok: false; readonly code: TrustFailureCode; readonly reason: string };

interface BaseResult {
  readonly reference: string;
  readonly platformDigest?: Sha256Digest;
  readonly signaturesFound: number;
}

// The later a check fails, the more it says about the image; the reported failure is the furthest.
const RANK: Record<TrustFailureCode, number> = {
  // The user must say more (e.g. --reference) before this signature can be judged at all.
  'invalid-input': 5,
  network: 0,
  'registry-auth': 0,
  'image-not-found': 0,
  'no-signature': 0,
  'unsupported-format': 1,
  'bad-signature': 2,
  'untrusted-chain': 2,
  'cert-expired': 2,
  'tlog-invalid': 2,
  'identity-mismatch': 3,
  'issuer-mismatch': 3,
  'ref-not-allowed': 3,
  'repository-mismatch': 4,
  'digest-mismatch': 4,
  // Checked before any signature: the image itself cannot be named without doubt.
  'ambiguous-reference': 5,
};

const MAX_REFERRERS = 16;

/**
 * Verifies that the image `request.reference` names (or the digest given) carries a valid
 * signature from the expected signer. Never throws: every problem is a VerificationFailure.
 */
export async function verifyImage(request: VerifyImageRequest, context: TrustContext): Promise<VerificationResult> {
  const display = typeof request.reference === 'string' ? request.reference : formatDockerReference(request.reference);
  try {
    return await verifyTarget(request, context);
  } catch (error) {
    const code = error instanceof TrustError ? error.code : 'unsupported-format';
    const detail = error instanceof TrustError ? error.message : `Unexpected problem: ${describeError(error)}`;
    return failure(code, display, detail, [], {});
  }
}

async function verifyTarget(request: VerifyImageRequest, context: TrustContext): Promise<VerificationResult> {
  const target = await resolveTarget(request, context);
  const fetched = await target.source.manifest(target.lookup);
  if (!fetched) {
    let tags: string[] | undefined;
    try {
      tags = (await target.source.tags()).filter((t) => !isCosignTag(t)).slice(0, 20);
    } catch {
      tags = undefined;
    }
    const known = tags && tags.length > 0 ? `Tags that exist: ${tags.join(', ')}.` : '';
    return failure('image-not-found', target.display, `${target.source.name} has no ${target.lookup}. ${known}`, [], tags ? { availableTags: tags } : {});
  }
  const top = fetched.digest;

  // The digest rpm-ostree deploys is a platform manifest; cosign signs the index above it.
  let platformDigest: Sha256Digest | undefined;
  let linked = true;
  if (fetched.manifest.kind === 'index') {
    if (request.platformDigest) {
      platformDigest = request.platformDigest;
      linked = fetched.manifest.manifests.some((d) => d.digest === request.platformDigest);
    } else {
      platformDigest = selectPlatform(fetched.manifest, request.platform)?.digest;
    }
  } else {
    platformDigest = top;
    if (request.platformDigest && request.platformDigest !== top) {
      platformDigest = request.platformDigest;
      linked = false;
    }
  }
  const signedDigests: Sha256Digest[] = linked ? [top] : [];
  if (request.platformDigest && request.platformDigest !== top) signedDigests.push(request.platformDigest);

  const keys = request.keys ?? [];
  const identity = request.identity ?? (keys.length === 0 && target.intended ? deriveIdentity(target.intended, context.settingsFor(target.intended.registry)) : undefined);
  if (!identity && keys.length === 0) {
    return failure(
      'invalid-input',
      target.display,
      'Nobody is configured as its signer and none can be derived from its name. Give --repository (the GitHub repository whose workflow signs), --certificate-identity or --key, or add the image to a family in the configuration.',
      [],
      { digest: top },
    );
  }
  const signedIdentity = request.signedIdentity ?? DEFAULT_SIGNED_IDENTITY;

  const cacheKey = VerificationCache.key({
    root: context.trustRoot.id,
    source: target.source.name,
    signatures: target.signatureSource.name,
    digest: top,
    platformDigest,
    linked,
    identity,
    keys: keys.map((k) => k.hint),
    signedIdentity,
    // Only rules that look at the tag or digest make them part of the question.
    intended: target.intended
      ? signedIdentity.type === 'matchRepository' || signedIdentity.type === 'exactRepository' || signedIdentity.type === 'exactReference'
        ? repositoryName(target.intended)
        : formatDockerReference(target.intended)
      : undefined,
  });
  if (!request.fresh) {
    const hit = context.cache?.get(cacheKey);
    if (hit) return hit.status === 'verified' ? { ...hit, cached: true } : hit;
  }

  const crypto: CryptoOptions = { trustRoot: context.trustRoot, keys, acceptKeyless: identity !== undefined, now: context.now?.() ?? new Date() };
  const check = { identity, keys, signedIdentity, target, crypto, context, ...(platformDigest ? { platformDigest } : {}) };
  const attempts: SignatureAttempt[] = [];
  let found = 0;
  const base = (): BaseResult => ({ reference: target.display, ...(platformDigest ? { platformDigest } : {}), signaturesFound: found });
  const run = async (candidates: Candidate[]): Promise<VerifiedImage | undefined> => {
    for (const candidate of candidates) {
      found++;
      const evaluation = await candidate.evaluate();
      if (evaluation.ok) return evaluation.build(base());
      attempts.push({ layout: candidate.layout, where: candidate.where, code: evaluation.code, reason: evaluation.reason });
    }
    return undefined;
  };

  for (const digest of signedDigests) {
    // Legacy first: it is what rpm-ostree can see, and the floor of requests when it verifies.
    const verified = (await run(await legacyCandidates(digest, check, attempts))) ?? (await run(await bundleCandidates(digest, check, attempts)));
    if (verified) {
      context.cache?.set(cacheKey, verified);
      return verified;
    }
  }

  let result: VerificationFailure;
  if (attempts.length === 0 || attempts.every((a) => a.code === 'no-signature')) {
    const detail = !linked
      ? `The manifest ${request.platformDigest ?? ''} is not part of the image ${target.lookup} names now (${top}), and has no signature of its own.`
      : `No cosign signature was found for ${top} (neither a ${signatureTag(top)} tag nor a Sigstore bundle referrer).${attempts[0] ? ` Found: ${attempts[0].reason}.` : ''}`;
    result = failure(!linked ? 'digest-mismatch' : 'no-signature', target.display, detail, attempts, { digest: top, ...(platformDigest ? { platformDigest } : {}) });
  } else {
    const best = attempts.reduce((a, b) => (RANK[b.code] > RANK[a.code] ? b : a));
    const others = attempts.length > 1 ? ` ${attempts.length} signatures were examined; none verified.` : '';
    const subject = `${target.display}${target.display.includes(top) ? '' : ` (${top})`}`;
    result = failure(best.code, subject, `Its signature: ${best.reason}.${others}`, attempts, { digest: top, ...(platformDigest ? { platformDigest } : {}) });
  }
  context.cache?.set(cacheKey, result);
  return result;
}

async function resolveTarget(request: VerifyImageRequest, context: TrustContext): Promise<Target> {
  const text = typeof request.reference === 'string' ? request.reference : undefined;
  const layout = text !== undefined ? parseOciLayoutReference(text) : undefined;
  if (layout) {
    const source = new OciLayoutSource(layout.dir);
    const tag = layout.tag;
    let lookup = request.digest ?? tag;
    if (lookup === undefined) {
      // No name: the sole image, or entry @N, exactly as containers/image picks it.
      const entry = await source.entry(layout);
      if (!entry) throw new TrustError('image-not-found', `${text ?? source.name} has no entry @${layout.entry ?? 0}.`);
      lookup = entry.digest;
    }
    let intended: DockerReference | undefined;
    if (request.signedReference !== undefined) {
      const repo = parseDockerReference(request.signedReference);
      intended = { registry: repo.registry, repository: repo.repository, ...(tag && !tag.startsWith('sha256:') ? { tag } : {}), ...(request.digest ? { digest: request.digest } : {}) };
    }
    return { source, signatureSource: source, lookup, ...(intended ? { intended } : {}), display: text ?? source.name };
  }
  let ref: DockerReference;
  try {
    ref = typeof request.reference === 'string' ? parseDockerReference(request.reference) : request.reference;
  } catch (error) {
    throw new TrustError('invalid-input', describeError(error));
  }
  if (request.digest && ref.digest && request.digest !== ref.digest) {
    throw new TrustError('invalid-input', `the reference pins ${ref.digest} but ${request.digest} was asked for; give one digest.`);
  }
  const source = registrySource(context.registry, ref);
  const signatureSource = request.signatureRepository ? registrySource(context.registry, request.signatureRepository) : source;
  const intended: DockerReference = { ...ref, ...(request.digest ? { digest: request.digest } : {}) };
  return { source, signatureSource, lookup: request.digest ?? ref.digest ?? ref.tag ?? 'latest', intended, display: formatDockerReference(ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' }) };
}

interface CheckInputs {
  readonly identity: IdentityPolicy | undefined;
  /** The platform manifest verified through the index, where the labels that bind a bundle live. */
  readonly platformDigest?: Sha256Digest;
  readonly keys: readonly PublicKeyRef[];
  readonly signedIdentity: SignedIdentityRule;
  readonly target: Target;
  readonly crypto: CryptoOptions;
  readonly context: TrustContext;
}

function attemptError(error: unknown): { ok: false; code: TrustFailureCode; reason: string } {
  if (error instanceof TrustError) return { ok: false, code: error.code, reason: error.message.replace(/\.$/, '') };
  return { ok: false, code: 'unsupported-format', reason: `it could not be read (${describeError(error)})` };
}

async function legacyCandidates(digest: Sha256Digest, check: CheckInputs, attempts: SignatureAttempt[]): Promise<Candidate[]> {
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

async function bundleCandidates(digest: Sha256Digest, check: CheckInputs, attempts: SignatureAttempt[]): Promise<Candidate[]> {
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

function failure(
  code: TrustFailureCode,
  subject: string,
  detail: string,
  attempts: readonly SignatureAttempt[],
  extra: { digest?: Sha256Digest; platformDigest?: Sha256Digest; availableTags?: readonly string[] },
): VerificationFailure {
  // Reasons quote registry-controlled text (media types, tags, names): none of it may steer a terminal.
  const text = inlineText(detail.trim());
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return {
    status: 'failed',
    code,
    message: failureMessage(code, inlineText(subject), sentence),
    reference: inlineText(subject),
    attempts: attempts.map((a) => ({ ...a, where: inlineText(a.where), reason: inlineText(a.reason) })),
    ...extra,
    ...(extra.availableTags ? { availableTags: extra.availableTags.map(inlineText) } : {}),
  };
}
