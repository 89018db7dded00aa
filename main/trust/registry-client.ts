// An OCI distribution client for reading images and their signatures: bearer-token challenges,
// credentials, redirects that never carry credentials to another host, retries, caps and deadlines.

import { setTimeout as sleep } from 'node:timers/promises';
import type { RegistrySettings } from '../shared/config.ts';
import { LimitError, readBodyLimited } from '../shared/bounded.ts';
import { quoted } from '../shared/display-text.ts';
import { describeError } from '../shared/errors.ts';
import { isSha256Digest, type Sha256Digest } from '../shared/image-reference.ts';
import { parseAuthChallenge, parseTokenResponse, type AuthChallenge, type IssuedToken } from './auth-challenge.ts';
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

export type RequestKind = 'token' | 'manifest' | 'blob' | 'tags' | 'referrers';

export interface RequestCounters {
  total: number;
  token: number;
  manifest: number;
  blob: number;
  tags: number;
  referrers: number;
  /** Requests answered with an authentication challenge (counted here, not under their kind). */
  challenges: number;
  /** Of the above: repeated after a 429/5xx or a dropped connection. */
  retries: number;
  redirects: number;
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

const MAX_TOKEN_BYTES = 64 * 1024;
const MAX_TAGS_BYTES = 4 * 1024 * 1024;
const MAX_TAG_PAGES = 20;
/** The distribution spec's tag grammar. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const USER_AGENT = 'vespera-updates (+https://github.com/acme/vespera-updates)';

interface SendOptions {
  readonly kind: RequestKind;
  readonly method?: 'GET' | 'HEAD';
  readonly accept?: readonly string[];
  readonly maxBytes: number;
  /** What the user would call it, for messages: "the manifest of ghcr.io/acme/x:latest". */
  readonly what: string;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** Plain HTTP is used only for loopback registries and those the config marks insecure. */
export function usesPlainHttp(host: string, settings: RegistrySettings): boolean {
  return isLoopbackHost(host) || settings.insecure;
}

export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

export class RegistryClient {
  readonly counters: RequestCounters = { total: 0, token: 0, manifest: 0, blob: 0, tags: 0, referrers: 0, challenges: 0, retries: 0, redirects: 0 };
  readonly #options: Required<Omit<RegistryClientOptions, 'credentials'>> & { credentials?: CredentialStore };
  readonly #tokens = new Map<string, IssuedToken>();
  /** Logins in progress, so concurrent requests for one scope share one token request. */
  readonly #logins = new Map<string, Promise<RegistryCredential | undefined>>();
  readonly #basic = new Set<string>();
  /** The bearer challenge each registry answered with, once a token from it worked. */
  readonly #realms = new Map<string, AuthChallenge>();
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

  // ---- transport ----

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
    return `${this.#plainHttpAllowed(host) ? 'http' : 'https'}://${host}`;
  }

  #plainHttpAllowed(host: string): boolean {
    return usesPlainHttp(host, this.#options.settingsFor(host));
  }

  async #send(ref: RepositoryRef, path: string, options: SendOptions): Promise<Answer> {
    const scope = `repository:${ref.repository}:pull`;
    const url = `${this.#baseUrl(ref.registry)}/v2/${ref.repository}${path}`;
    // A registry's token server does not change between repositories: once one challenge named it,
    // ask it first for the next repository and save every request its challenge round trip.
    const realm = this.#realms.get(ref.registry);
    if (realm && !(await this.#authorization(ref.registry, scope))) await this.#login(ref, scope, realm, options.what);
    const first = await this.#withRetries(url, ref.registry, scope, options);
    let answer = first.answer;
    if (answer.status === 401) {
      this.counters[options.kind]--;
      this.counters.challenges++;
      let credential: RegistryCredential | undefined;
      // A concurrent request may have logged in since this one was sent: then only retry.
      const current = await this.#authorization(ref.registry, scope);
      if (!current || current === first.authorization) {
        credential = await this.#login(ref, scope, parseAuthChallenge(answer.headers.get('www-authenticate')), options.what);
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

  /** One login per registry and scope at a time: concurrent requests share it. */
  #login(ref: RepositoryRef, scope: string, challenge: AuthChallenge | undefined, what: string): Promise<RegistryCredential | undefined> {
    const key = `${ref.registry}|${scope}`;
    let login = this.#logins.get(key);
    if (!login) {
      login = this.#authenticate(ref, scope, challenge, what).finally(() => this.#logins.delete(key));
      this.#logins.set(key, login);
    }
    return login;
  }

  /** Gets a token (or arms Basic auth) for `scope`; returns the credential used, if any. */
  async #authenticate(ref: RepositoryRef, scope: string, challenge: AuthChallenge | undefined, what: string): Promise<RegistryCredential | undefined> {
    const credential = await this.#options.credentials?.lookup(ref.registry, ref.repository);
    if (challenge?.scheme === 'basic') {
      if (!credential) {
        throw new TrustError('registry-auth', `${ref.registry} asks for a login to read ${ref.repository}; log in with podman login ${ref.registry} (the app reads containers' auth.json).`);
      }
      this.#basic.add(ref.registry);
      return credential;
    }
    const realm = challenge?.params.realm;
    if (challenge?.scheme !== 'bearer' || !realm) {
      throw new TrustError('registry-auth', `${ref.registry} asked for authentication for ${what} without saying how (no usable WWW-Authenticate); this registry is not supported.`);
    }
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new TrustError('registry-auth', `${ref.registry} names an invalid token server (${quoted(realm)}); this registry is misconfigured.`);
    }
    if (realmUrl.protocol !== 'https:' && !(realmUrl.protocol === 'http:' && this.#plainHttpAllowed(realmUrl.host))) {
      throw new TrustError('registry-auth', `${ref.registry} sends its token requests to ${realmUrl.origin} without TLS; refused so no credential travels in the clear.`);
    }
    if (challenge.params.service !== undefined) realmUrl.searchParams.set('service', challenge.params.service);
    realmUrl.searchParams.set('scope', scope);
    const headers: Record<string, string> = { 'user-agent': this.#options.userAgent, accept: 'application/json' };
    if (credential) headers.authorization = basicAuthorization(credential);
    const answer = await this.#request(realmUrl.toString(), headers, { kind: 'token', maxBytes: MAX_TOKEN_BYTES, what: `a token from ${realmUrl.host}` });
    if (answer.status === 401 || answer.status === 403) {
      throw new TrustError(
        'registry-auth',
        credential
          ? `the token server of ${ref.registry} rejected the credentials from ${credential.source}; log in again with podman login ${ref.registry}.`
          : `${ref.registry} needs a login to read ${ref.repository}; log in with podman login ${ref.registry}.`,
      );
    }
    if (answer.status !== 200) {
      throw new TrustError('network', `the token server of ${ref.registry} answered HTTP ${answer.status}; try again later.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(answer.body.toString('utf8'));
    } catch {
      json = undefined;
    }
    const token = parseTokenResponse(json);
    if (!token) throw new TrustError('registry-auth', `the token server of ${ref.registry} answered without a usable token; this registry is not supported.`);
    this.#tokens.set(`${ref.registry}|${scope}`, token);
    this.#realms.set(ref.registry, challenge);
    return credential;
  }

  #authorization(host: string, scope: string): Promise<string | undefined> | string | undefined {
    const token = this.#tokens.get(`${host}|${scope}`);
    if (token && token.expiresAt > Date.now()) return `Bearer ${token.token}`;
    if (token) this.#tokens.delete(`${host}|${scope}`);
    if (this.#basic.has(host)) {
      const [, repository = ''] = scope.split(':');
      return this.#options.credentials?.lookup(host, repository).then((c) => (c ? basicAuthorization(c) : undefined));
    }
    return undefined;
  }

  /** One request with whatever credentials are current; returns which it sent. */
  async #withRetries(url: string, host: string, scope: string, options: SendOptions): Promise<{ answer: Answer; authorization?: string }> {
    const headers: Record<string, string> = { 'user-agent': this.#options.userAgent };
    if (options.accept) headers.accept = options.accept.join(', ');
    const authorization = await this.#authorization(host, scope);
    if (authorization) headers.authorization = authorization;
    return { answer: await this.#request(url, headers, options), ...(authorization ? { authorization } : {}) };
  }

  /** One logical request: retries on 429/5xx/dropped connections, follows redirects safely. */
  async #request(url: string, headers: Record<string, string>, options: SendOptions): Promise<Answer> {
    const { attempts, backoffMs } = this.#options;
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.#follow(url, headers, options);
      } catch (error) {
        if (error instanceof TrustError || attempt >= attempts) throw toNetworkError(error, options.what, url);
        this.counters.retries++;
        await sleep(backoff(backoffMs, attempt));
        continue;
      }
      if ((answer.status === 429 || answer.status >= 500) && attempt < attempts) {
        this.counters.retries++;
        await sleep(Math.max(backoff(backoffMs, attempt), retryAfter(answer.headers.get('retry-after'), this.#options.maxRetryAfterMs)));
        continue;
      }
      if (answer.status === 429) {
        throw new TrustError('network', `the registry is rate-limiting this machine (HTTP 429) for ${options.what}; wait a few minutes and try again.`);
      }
      return answer;
    }
  }

  async #follow(start: string, headers: Record<string, string>, options: SendOptions): Promise<Answer> {
    let url = new URL(start);
    const origin = url.origin;
    let current = { ...headers };
    for (let hop = 0; ; hop++) {
      this.counters.total++;
      this.counters[options.kind]++;
      const response = await fetch(url, {
        method: options.method ?? 'GET',
        headers: current,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.settingsFor(new URL(start).host).timeoutMs ?? this.#options.timeoutMs),
      });
      if (response.status >= 300 && response.status < 400 && response.status !== 304) {
        await response.body?.cancel();
        const location = response.headers.get('location');
        if (!location || hop >= this.#options.maxRedirects) {
          throw new TrustError('network', `${url.host} redirected ${options.what} ${location ? 'too many times' : 'without a destination'}; try again later.`);
        }
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && !(next.protocol === 'http:' && (url.protocol === 'http:' || this.#plainHttpAllowed(next.host)))) {
          throw new TrustError('network', `${url.host} redirected ${options.what} to ${next.protocol}//${next.host}, which is not HTTPS; refused.`);
        }
        // Credentials are for the registry (or token server) they were issued for, never another host.
        if (next.origin !== origin) {
          current = { ...current };
          delete current.authorization;
        }
        this.counters.redirects++;
        url = next;
        continue;
      }
      if (response.status !== 200) {
        // Error bodies are not needed; drop them without reading more than a little.
        await response.body?.cancel();
        return { status: response.status, headers: response.headers, body: Buffer.alloc(0) };
      }
      const length = Number(response.headers.get('content-length') ?? '-1');
      if (length > options.maxBytes) {
        await response.body?.cancel();
        throw new TrustError('unsupported-format', `${options.what} is ${length} bytes, more than the ${options.maxBytes} this app reads for it; it was refused rather than truncated.`);
      }
      let body: Buffer;
      try {
        body = response.body ? await readBodyLimited(response.body, options.maxBytes, options.what) : Buffer.alloc(0);
      } catch (error) {
        if (error instanceof LimitError && error.code === 'too-large') throw new TrustError('unsupported-format', error.message);
        throw error;
      }
      return { status: response.status, headers: response.headers, body };
    }
  }
}

function basicAuthorization(c: RegistryCredential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

function backoff(baseMs: number, attempt: number): number {
  const exp = baseMs * 2 ** (attempt - 1);
  return exp / 2 + Math.random() * (exp / 2);
}

function retryAfter(header: string | null, capMs: number): number {
  if (!header) return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(Math.max(seconds, 0) * 1000, capMs);
  const at = Date.parse(header);
  return Number.isNaN(at) ? 0 : Math.min(Math.max(at - Date.now(), 0), capMs);
}

function toNetworkError(error: unknown, what: string, url: string): TrustError {
  if (error instanceof TrustError) return error;
  const host = new URL(url).host;
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new TrustError('network', `${host} did not answer in time for ${what}.`, { cause: error });
  }
  return new TrustError('network', `${host} ${connectionFailure(error)} while fetching ${what}.`, { cause: error });
}

/** Why a connection failed, in words: refused, not found, timed out, or the system's own reason. */
export function connectionFailure(error: unknown): string {
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'did not answer in time';
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  if (cause === 'ECONNREFUSED') return 'refused the connection';
  if (cause === 'ENOTFOUND' || cause === 'EAI_AGAIN') return 'could not be found (DNS)';
  if (cause === 'ECONNRESET') return 'closed the connection';
  if (cause === 'EHOSTUNREACH' || cause === 'ENETUNREACH') return 'cannot be reached from this network';
  return `could not be reached (${cause ?? describeError(error)})`;
}
