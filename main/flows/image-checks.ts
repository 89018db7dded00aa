// Answers "is the image this host runs (or will boot next) signed by whom we trust?" for deployments
// and registry tags, always by digest: resolves tags to the platform manifest rpm-ostree would deploy,
// remembers which index listed it, and asks the trust layer with the configured or derived signer.

import type { Deployment } from '../host/index.ts';
import { familyFor, type Config } from '../shared/config.ts';
import { inlineText } from '../shared/display-text.ts';
import { describeError } from '../shared/errors.ts';
import { formatDockerReference, repositoryName, type DockerReference, type Sha256Digest } from '../shared/image-reference.ts';
import {
  describeIdentity,
  identityFor,
  isCosignTag,
  isVerified,
  loadPublicKey,
  selectPlatform,
  verifyImage,
  type IdentityPolicy,
  type PublicKeyRef,
  type TrustContext,
  type VerificationFailure,
  type VerificationResult,
  type VerifiedImage,
} from '../trust/index.ts';

/** An image at the digest rpm-ostree deploys, with the digest its tag named when that is known. */
export interface ResolvedImage {
  readonly image: DockerReference;
  /** What the tag resolved to (an index for multi-platform images). */
  readonly digest: Sha256Digest;
  /** The manifest for this host's platform: what `container-image-reference-digest` will say. */
  readonly platformDigest: Sha256Digest;
  /** The image's version label, when its config was read. */
  readonly version?: string;
  /** When it was built (the config's `created`, RFC 3339), when its config was read. */
  readonly created?: string;
}

/** Who the app expects to have signed an image, and with which keys. */
export interface Expectation {
  readonly identity?: IdentityPolicy;
  readonly keys: readonly PublicKeyRef[];
  /** "workflows of https://github.com/acme/vespera (derived from the image name)". */
  readonly description: string;
  readonly derived: boolean;
  /** Key files configured for the image's family (for key-enforced mode). */
  readonly keyPaths: readonly string[];
}

/** Registry image of a deployment, when it follows one. */
export function imageOf(deployment: Deployment | undefined): DockerReference | undefined {
  return deployment?.refspec?.kind === 'container' ? deployment.refspec.image : undefined;
}

/** Tags looked at to find the index a deployed platform manifest came from. */
const MAX_TAGS_SEARCHED = 40;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export class ImageChecks {
  readonly #config: Config;
  readonly #trust: TrustContext;
  /** Platform manifest digest → the index digest that listed it, learnt while resolving tags. */
  readonly #indexOf = new Map<Sha256Digest, Sha256Digest>();
  readonly #keys = new Map<string, Promise<PublicKeyRef | undefined>>();

  constructor(config: Config, trust: TrustContext) {
    this.#config = config;
    this.#trust = trust;
  }

  get trust(): TrustContext {
    return this.#trust;
  }

  async expectationFor(image: DockerReference): Promise<Expectation> {
    const identity = identityFor(this.#config, image);
    const family = familyFor(this.#config, repositoryName(image));
    const keyPaths = family?.key ? [family.key] : [];
    const keys = (await Promise.all(keyPaths.map((path) => this.#loadKey(path)))).filter((k): k is PublicKeyRef => k !== undefined);
    const parts: string[] = [];
    if (identity) parts.push(describeIdentity(identity));
    for (const path of keyPaths) parts.push(`the publisher key ${path.split('/').pop() ?? path}`);
    return {
      ...(identity ? { identity } : {}),
      keys,
      description: parts.length > 0 ? parts.join(', or ') : 'nobody (no signer is configured or can be derived for this image)',
      derived: identity?.origin === 'derived',
      keyPaths,
    };
  }

  /**
   * Resolves a tag to the digest it names now and the platform manifest rpm-ostree would deploy
   * from it; remembers the index so a later check of the staged digest can name it.
   */
  async resolve(image: DockerReference): Promise<ResolvedImage> {
    const registry = this.#trust.registry;
    const top = await registry.resolve(image);
    let platformDigest = top.digest;
    let configDigest: Sha256Digest | undefined;
    if (top.manifest.kind === 'index') {
      const entry = selectPlatform(top.manifest);
      if (!entry) {
        throw Object.assign(new Error(`${formatDockerReference(image)} has no image for this computer's platform (linux/${process.arch}).`), { code: 'image-not-found' });
      }
      platformDigest = entry.digest;
      this.#indexOf.set(platformDigest, top.digest);
      const platform = await registry.getManifest(image, platformDigest);
      if (platform?.manifest.kind === 'manifest') configDigest = platform.manifest.config.digest;
    } else {
      configDigest = top.manifest.config.digest;
    }
    const facts = configDigest ? await this.#configFacts(image, configDigest) : {};
    return { image, digest: top.digest, platformDigest, ...facts };
  }

  /** Verifies a resolved image (index and platform manifest) against its expected signer. */
  async checkResolved(target: ResolvedImage, options: { fresh?: boolean } = {}): Promise<VerificationResult> {
    return await this.#verify(target.image, { digest: target.digest, platformDigest: target.platformDigest }, options);
  }

  /**
   * Verifies the digest a deployment boots. The index that listed it is the one remembered from an
   * earlier resolve, else whatever the tag names now; without either, the platform manifest must
   * carry its own signature. Undefined for deployments that are not registry images.
   */
  async checkDeployment(deployment: Deployment, options: { fresh?: boolean } = {}): Promise<VerificationResult | undefined> {
    const image = deployment.refspec?.kind === 'container' ? deployment.refspec.image : undefined;
    if (!image || !deployment.imageDigest) return undefined;
    const platformDigest = deployment.imageDigest;
    const known = this.#indexOf.get(platformDigest) ?? (image.digest !== undefined && image.digest !== platformDigest ? image.digest : undefined);
    if (known) return await this.#verify(image, { digest: known, platformDigest }, options);
    const byTag = await this.#verify(image, { platformDigest }, options);
    if (isVerified(byTag) || byTag.code !== 'digest-mismatch') return byTag;
    // The tag has moved on since this digest was deployed (rpm-ostree records only the platform
    // manifest): find the index that listed it under another tag, else it must be signed itself.
    const index = await this.#findIndexListing(image, platformDigest, [deployment.version, deployment.baseVersion]);
    if (index) return await this.#verify(image, { digest: index, platformDigest }, options);
    return await this.#verify({ ...image, digest: platformDigest }, { digest: platformDigest, platformDigest }, options);
  }

  /**
   * An index of the repository that lists `platformDigest`: the deployment's version tag first (the
   * usual way publishers tag builds), then other tags, newest-looking first, up to a bound.
   */
  async #findIndexListing(image: DockerReference, platformDigest: Sha256Digest, hints: ReadonlyArray<string | undefined>): Promise<Sha256Digest | undefined> {
    const registry = this.#trust.registry;
    const tried = new Set<string>();
    const lists = async (tag: string): Promise<boolean> => {
      if (tried.has(tag) || tried.size >= MAX_TAGS_SEARCHED) return false;
      tried.add(tag);
      try {
        const found = await registry.getManifest(image, tag);
        if (found?.manifest.kind !== 'index' || !found.manifest.manifests.some((m) => m.digest === platformDigest)) return false;
        this.#indexOf.set(platformDigest, found.digest);
        return true;
      } catch {
        return false;
      }
    };
    for (const hint of hints) if (hint && TAG.test(hint) && (await lists(hint))) return this.#indexOf.get(platformDigest);
    let tags: string[];
    try {
      tags = await registry.listTags(image, 1000);
    } catch {
      return undefined;
    }
    const candidates = tags.filter((t) => !isCosignTag(t)).sort().reverse();
    for (const tag of candidates) if (await lists(tag)) return this.#indexOf.get(platformDigest);
    return undefined;
  }

  /** Verifies with the publisher keys only: does the image carry a key signature the OS could enforce? */
  async checkKeySignature(target: ResolvedImage, keys: readonly PublicKeyRef[]): Promise<VerificationResult> {
    return await verifyImage(
      { reference: target.image, digest: target.digest, platformDigest: target.platformDigest, keys },
      this.#trust,
    );
  }

  async #verify(image: DockerReference, pin: { digest?: Sha256Digest; platformDigest: Sha256Digest }, options: { fresh?: boolean }): Promise<VerificationResult> {
    const expectation = await this.expectationFor(image);
    const reference: DockerReference = { registry: image.registry, repository: image.repository, ...(image.tag ? { tag: image.tag } : {}) };
    const base = { reference, ...pin, ...(options.fresh ? { fresh: true } : {}) };
    if (!expectation.identity && expectation.keys.length === 0) {
      return await verifyImage(base, this.#trust);
    }
    // The keyless identity first: it says which workflow and commit built the image. A configured
    // publisher key is the user's own statement of trust, so its signature counts too.
    const keyless = expectation.identity ? await verifyImage({ ...base, identity: expectation.identity }, this.#trust) : undefined;
    if (keyless && (isVerified(keyless) || expectation.keys.length === 0)) return keyless;
    const keyed = await verifyImage({ ...base, keys: expectation.keys }, this.#trust);
    if (isVerified(keyed) || !keyless) return keyed;
    return keyless;
  }

  async #loadKey(path: string): Promise<PublicKeyRef | undefined> {
    let loading = this.#keys.get(path);
    if (!loading) {
      loading = loadPublicKey(path).catch(() => undefined);
      this.#keys.set(path, loading);
    }
    return await loading;
  }

  /** The version label and build date of an image config; registry text, so kept to one safe line. */
  async #configFacts(image: DockerReference, configDigest: Sha256Digest): Promise<{ version?: string; created?: string }> {
    try {
      const bytes = await this.#trust.registry.getBlob(image, configDigest, 1024 * 1024);
      const config = JSON.parse(bytes.toString('utf8')) as { created?: unknown; config?: { Labels?: Record<string, unknown> } };
      const labels = config.config?.Labels ?? {};
      const version = labels['org.opencontainers.image.version'] ?? labels.version;
      const createdMs = typeof config.created === 'string' ? Date.parse(config.created) : NaN;
      const created = Number.isNaN(createdMs) ? undefined : new Date(createdMs).toISOString();
      return {
        ...(typeof version === 'string' && version.length <= 256 ? { version: inlineText(version) } : {}),
        ...(created !== undefined ? { created } : {}),
      };
    } catch {
      return {};
    }
  }
}

/** A failure made from an exception thrown outside the trust layer (e.g. resolving a tag). */
export function failureOf(image: DockerReference, error: unknown): VerificationFailure {
  const code = (error as { code?: unknown }).code;
  const known = ['image-not-found', 'registry-auth', 'network', 'digest-mismatch', 'unsupported-format', 'invalid-input'] as const;
  return {
    status: 'failed',
    code: known.find((k) => k === code) ?? 'network',
    message: describeError(error),
    reference: formatDockerReference(image),
    attempts: [],
  };
}

export type { VerifiedImage, VerificationFailure, VerificationResult };
