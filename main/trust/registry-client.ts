// An OCI distribution client for reading images and their signatures: the registry API calls, the
// authentication challenge round trip around each, and a content-addressed cache of what they read.

import type { RegistrySettings } from '../shared/config.ts';
import { quoted } from '../shared/display-text.ts';
import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import { parseAuthChallenge } from './auth-challenge.ts';
import type { CredentialStore, RegistryCredential } from './credentials.ts';
import { TrustError } from './errors.ts';
import {
  ANY_MANIFEST_ACCEPT,
  checkDigest,
  MAX_MANIFEST_BYTES,
  MEDIA_TYPES,
  parseJsonObject,
  parseManifest,
  sha256Digest,
  type ImageIndex,
  type Manifest,
} from './manifests.ts';
import { RegistryAuth } from './registry-auth.ts';
import { RegistryTransport, type Answer, type RequestCounters, type SendOptions } from './registry-transport.ts';

// Token handling, and the transport with its retries, redirects and failure wording, live beside
// this file; their public names are re-exported so importers keep one place to import from.
export { connectionFailure, isLoopbackHost, usesPlainHttp, type RequestCounters, type RequestKind } from './registry-transport.ts';

/** Where an image lives: `registry` is `host[:port]`, `repository` the path in it. */
export interface RepositoryRef {
  readonly registry: string;
  readonly repository: string;
}

export interface FetchedManifest {
  /** sha256 of the bytes as received (checked against the digest asked for, if any). */
  readonly digest: Sha256Digest;
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly manifest: Manifest;
}

export interface RegistryClientOptions {
  /** Per-host settings (plain HTTP allowed?); shared/config's `registrySettings` fits. */
  readonly settingsFor: (host: string) => RegistrySettings;
  readonly credentials?: CredentialStore;
  /** Deadline for one request including its body. Default 30 s. */
  readonly timeoutMs?: number;
  /** Attempts for one request on 429/5xx or a dropped connection. Default 3. */
  readonly attempts?: number;
  /** First backoff; doubles per attempt, with jitter. Default 400 ms. */
  readonly backoffMs?: number;
  /** Longest Retry-After honoured. Default 10 s. */
  readonly maxRetryAfterMs?: number;
  readonly maxRedirects?: number;
  readonly userAgent?: string;
  /** Bytes of manifests and blobs kept in memory by digest (content-addressed, so always valid). */
  readonly cacheBytes?: number;
}

const MAX_TAGS_BYTES = 4 * 1024 * 1024;
const MAX_TAG_PAGES = 20;
/** The distribution spec's tag grammar. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const USER_AGENT = 'vespera-updates (+https://github.com/acme/vespera-updates)';

export class RegistryClient {
  readonly counters: RequestCounters = { total: 0, token: 0, manifest: 0, blob: 0, tags: 0, referrers: 0, challenges: 0, retries: 0, redirects: 0 };
  readonly #options: Required<Omit<RegistryClientOptions, 'credentials'>> & { credentials?: CredentialStore };
  readonly #transport: RegistryTransport;
  readonly #auth: RegistryAuth;
  readonly #content = new Map<Sha256Digest, { bytes: Buffer; mediaType: string }>();
  #contentBytes = 0;
  /** Hosts whose referrers API answered with anything but an index: not asked again. */
  readonly #noReferrersApi = new Set<string>();

  constructor(options: RegistryClientOptions) {
    this.#options = {
      timeoutMs: 30_000,
      attempts: 3,
      backoffMs: 400,
      maxRetryAfterMs: 10_000,
      maxRedirects: 5,
      userAgent: USER_AGENT,
      cacheBytes: 32 * 1024 * 1024,
      ...options,
    };
    this.#transport = new RegistryTransport(this.#options, this.counters);
    this.#auth = new RegistryAuth(this.#options, this.#transport);
  }

  resetCounters(): void {
    for (const key of Object.keys(this.counters) as Array<keyof RequestCounters>) this.counters[key] = 0;
  }

  /**
   * A manifest by tag or digest. By digest the bytes must hash to it; by tag the digest is computed
   * from the bytes (the Docker-Content-Digest header is not authenticated). Undefined on 404.
   */
  async getManifest(
    ref: RepositoryRef,
    reference: string,
    accept: readonly string[] = ANY_MANIFEST_ACCEPT,
  ): Promise<FetchedManifest | undefined> {
    const what = `the manifest ${ref.registry}/${ref.repository}${isSha256Digest(reference) ? '@' : ':'}${reference}`;
    if (isSha256Digest(reference)) {
      const cached = this.#cached(reference);
      if (cached) return { digest: reference, mediaType: cached.mediaType, bytes: cached.bytes, manifest: parseManifest(cached.bytes, cached.mediaType, what) };
    } else if (!TAG.test(reference)) {
      throw new TrustError('invalid-input', `${quoted(reference)} is not a valid tag; tags are up to 128 letters, digits, "_", "." and "-".`);
    }
    const answer = await this.#send(ref, `/manifests/${reference}`, { kind: 'manifest', accept, maxBytes: MAX_MANIFEST_BYTES, what });
    if (answer.status === 404) return undefined;
    const digest = isSha256Digest(reference) ? reference : sha256Digest(answer.body);
    if (isSha256Digest(reference)) checkDigest(answer.body, reference, what);
    const contentType = answer.headers.get('content-type') ?? undefined;
    const manifest = parseManifest(answer.body, contentType, what);
    this.#remember(digest, answer.body, manifest.mediaType);
    return { digest, mediaType: manifest.mediaType, bytes: answer.body, manifest };
  }

  /** What a reference names now: by digest when it has one, else by tag (`latest` when neither). */
  async resolve(ref: RepositoryRef & { readonly tag?: string; readonly digest?: Sha256Digest }): Promise<FetchedManifest> {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const fetched = await this.getManifest(ref, reference);
    if (!fetched) {
      throw new TrustError('image-not-found', `${ref.registry}/${ref.repository} has no ${reference}; check the image name and tag.`);
    }
    return fetched;
  }

  /** A blob, checked against its digest and, when known, its size. */
  async getBlob(ref: RepositoryRef, digest: Sha256Digest, maxBytes: number, expectedSize?: number): Promise<Buffer> {
    const what = `blob ${digest} of ${ref.registry}/${ref.repository}`;
    if (expectedSize !== undefined && expectedSize > maxBytes) {
      throw new TrustError('unsupported-format', `${what} is ${expectedSize} bytes, more than the ${maxBytes} this app reads for it; it was not downloaded.`);
    }
    const cached = this.#cached(digest);
    if (cached) return cached.bytes;
    const answer = await this.#send(ref, `/blobs/${digest}`, { kind: 'blob', maxBytes, what });
    if (answer.status === 404) {
      throw new TrustError('image-not-found', `${what} is missing from the registry (HTTP 404); the image is incomplete. Ask its publisher to push it again.`);
    }
    if (expectedSize !== undefined && answer.body.length !== expectedSize) {
      throw new TrustError('digest-mismatch', `${what} is ${answer.body.length} bytes where its descriptor says ${expectedSize}; the content was altered. Do not use this image.`);
    }
    checkDigest(answer.body, digest, what);
    this.#remember(digest, answer.body, 'application/octet-stream');
    return answer.body;
  }

  /** Every tag of a repository (following `Link` pagination up to a bound). */
  async listTags(ref: RepositoryRef, limit = 10_000, pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    let path = `/tags/list?n=${pageSize}`;
    for (let page = 0; page < MAX_TAG_PAGES && tags.length < limit; page++) {
      const answer = await this.#send(ref, path, { kind: 'tags', accept: ['application/json'], maxBytes: MAX_TAGS_BYTES, what: `the tag list of ${ref.registry}/${ref.repository}` });
      if (answer.status === 404) {
        throw new TrustError('image-not-found', `${ref.registry}/${ref.repository} does not exist on the registry; check the image name.`);
      }
      const json = parseJsonObject(answer.body, `the tag list of ${ref.registry}/${ref.repository}`);
      const list = json.tags;
      if (list !== null && list !== undefined) {
        if (!Array.isArray(list)) throw new TrustError('unsupported-format', `the registry's tag list for ${ref.repository} is not a list.`);
        // A lying registry may list "tags" no registry could hold (terminal escapes): drop them.
        for (const t of list) if (typeof t === 'string' && TAG.test(t)) tags.push(t);
      }
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(answer.headers.get('link') ?? '')?.[1];
      if (!next) break;
      const url = new URL(next, 'http://registry.invalid');
      const prefix = `/v2/${ref.repository}`;
      if (url.host !== 'registry.invalid' || !url.pathname.startsWith(`${prefix}/tags/list`)) break;
      path = url.pathname.slice(prefix.length) + url.search;
    }
    return tags.slice(0, limit);
  }

  /**
   * The OCI 1.1 referrers API for a digest. Undefined when the registry has none (CNCF
   * distribution 2.x, GHCR in practice); callers then use the `sha256-<hex>` fallback tag.
   */
  async referrers(ref: RepositoryRef, digest: Sha256Digest): Promise<ImageIndex | undefined> {
    if (this.#noReferrersApi.has(ref.registry)) return undefined;
    const what = `the referrers of ${ref.registry}/${ref.repository}@${digest}`;
    const answer = await this.#send(ref, `/referrers/${digest}`, { kind: 'referrers', accept: [MEDIA_TYPES.ociIndex], maxBytes: MAX_MANIFEST_BYTES, what });
    const type = answer.headers.get('content-type')?.split(';')[0]?.trim();
    if (answer.status !== 200 || type !== MEDIA_TYPES.ociIndex) {
      this.#noReferrersApi.add(ref.registry);
      return undefined;
    }
    const parsed = parseManifest(answer.body, type, what);
    if (parsed.kind !== 'index') {
      this.#noReferrersApi.add(ref.registry);
      return undefined;
    }
    return parsed;
  }

  // ---- cache and authenticated requests ----

  #cached(digest: Sha256Digest): { bytes: Buffer; mediaType: string } | undefined {
    const hit = this.#content.get(digest);
    if (hit) {
      // Refresh its place in the LRU order.
      this.#content.delete(digest);
      this.#content.set(digest, hit);
    }
    return hit;
  }

  #remember(digest: Sha256Digest, bytes: Buffer, mediaType: string): void {
    if (bytes.length > this.#options.cacheBytes / 4 || this.#content.has(digest)) return;
    this.#content.set(digest, { bytes, mediaType });
    this.#contentBytes += bytes.length;
    for (const [key, value] of this.#content) {
      if (this.#contentBytes <= this.#options.cacheBytes) break;
      this.#content.delete(key);
      this.#contentBytes -= value.bytes.length;
    }
  }

  #baseUrl(host: string): string {
    return `${this.#transport.plainHttpAllowed(host) ? 'http' : 'https'}://${host}`;
  }

  async #send(ref: RepositoryRef, path: string, options: SendOptions): Promise<Answer> {
    const scope = `repository:${ref.repository}:pull`;
    const url = `${this.#baseUrl(ref.registry)}/v2/${ref.repository}${path}`;
    // A registry's token server does not change between repositories: once one challenge named it,
    // ask it first for the next repository and save every request its challenge round trip.
    const realm = this.#auth.knownRealm(ref.registry);
    if (realm && !(await this.#auth.authorization(ref.registry, scope))) await this.#auth.login(ref, scope, realm, options.what);
    const first = await this.#withRetries(url, ref.registry, scope, options);
    let answer = first.answer;
    if (answer.status === 401) {
      this.counters[options.kind]--;
      this.counters.challenges++;
      let credential: RegistryCredential | undefined;
      // A concurrent request may have logged in since this one was sent: then only retry.
      const current = await this.#auth.authorization(ref.registry, scope);
      if (!current || current === first.authorization) {
        credential = await this.#auth.login(ref, scope, parseAuthChallenge(answer.headers.get('www-authenticate')), options.what);
      }
      answer = (await this.#withRetries(url, ref.registry, scope, options)).answer;
      if (answer.status === 401) {
        credential ??= await this.#options.credentials?.lookup(ref.registry, ref.repository);
        throw new TrustError(
          'registry-auth',
          credential
            ? `${ref.registry} refused access to ${ref.repository} with the login from ${credential.source}; check that this account may read it, or log in again (podman login ${ref.registry}).`
            : `${ref.registry} lets only logged-in users read ${ref.repository}; log in with podman login ${ref.registry} (the app reads containers' auth.json), or check the image name.`,
        );
      }
    }
    if (answer.status === 403) {
      throw new TrustError('registry-auth', `${ref.registry} denied access to ${ref.repository} (HTTP 403); log in with an account that may read it (podman login ${ref.registry}).`);
    }
    if (answer.status === 404 || answer.status === 200) return answer;
    throw new TrustError('network', `${ref.registry} answered HTTP ${answer.status} for ${options.what}; try again later.`);
  }

  /** One request with whatever credentials are current; returns which it sent. */
  async #withRetries(url: string, host: string, scope: string, options: SendOptions): Promise<{ answer: Answer; authorization?: string }> {
    const headers: Record<string, string> = { 'user-agent': this.#options.userAgent };
    if (options.accept) headers.accept = options.accept.join(', ');
    const authorization = await this.#auth.authorization(host, scope);
    if (authorization) headers.authorization = authorization;
    return { answer: await this.#transport.request(url, headers, options), ...(authorization ? { authorization } : {}) };
  }
}
