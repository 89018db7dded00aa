// verifyImage: resolve an image to a digest, find its cosign signatures in both layouts, and verify
// them against the trust root, the expected signer and the digest; "verified" only without doubt.

import type { Config, RegistrySettings } from '../shared/config.ts';
import { registrySettings } from '../shared/config.ts';
import { inlineText } from '../shared/display-text.ts';
import { describeError } from '../shared/errors.ts';
import { formatDockerReference, parseDockerReference, repositoryName, type DockerReference, type Sha256Digest } from '../shared/image-reference.ts';
import { CredentialStore } from './credentials.ts';
import { TrustError, type TrustFailureCode } from './errors.ts';
import { deriveIdentity, type IdentityPolicy } from './identity-policy.ts';
import { OciLayoutSource, parseOciLayoutReference, registrySource } from './image-source.ts';
import type { PublicKeyRef } from './keys.ts';
import { isCosignTag, selectPlatform, signatureTag } from './manifests.ts';
import { DEFAULT_SIGNED_IDENTITY, type SignedIdentityRule } from './payload.ts';
import { RegistryClient } from './registry-client.ts';
import { failureMessage, type SignatureAttempt, type VerificationFailure, type VerificationResult, type VerifiedImage } from './result.ts';
import { bundleCandidates, legacyCandidates, type BaseResult, type Candidate, type Target } from './signature-candidates.ts';
import type { CryptoOptions } from './signature-check.ts';
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
