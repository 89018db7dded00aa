// Who the client is at each registry: bearer tokens per scope from the challenge's token server,
// Basic logins, one login per scope at a time, and the known token server of each registry.

import { quoted } from '../shared/display-text.ts';
import { parseTokenResponse, type AuthChallenge, type IssuedToken } from './auth-challenge.ts';
import type { CredentialStore, RegistryCredential } from './credentials.ts';
import { TrustError } from './errors.ts';
import type { RepositoryRef } from './registry-client.ts';
import type { RegistryTransport } from './registry-transport.ts';

const MAX_TOKEN_BYTES = 64 * 1024;

export interface RegistryAuthOptions {
  readonly credentials?: CredentialStore;
  readonly userAgent: string;
}

export class RegistryAuth {
  readonly #options: RegistryAuthOptions;
  /** Token requests go through the same retries, redirects, caps and counters as registry requests. */
  readonly #transport: RegistryTransport;
  readonly #tokens = new Map<string, IssuedToken>();
  /** Logins in progress, so concurrent requests for one scope share one token request. */
  readonly #logins = new Map<string, Promise<RegistryCredential | undefined>>();
  readonly #basic = new Set<string>();
  /** The bearer challenge each registry answered with, once a token from it worked. */
  readonly #realms = new Map<string, AuthChallenge>();

  constructor(options: RegistryAuthOptions, transport: RegistryTransport) {
    this.#options = options;
    this.#transport = transport;
  }

  /** The challenge a registry's token server answered with before, so it can be asked up front. */
  knownRealm(host: string): AuthChallenge | undefined {
    return this.#realms.get(host);
  }

  /** One login per registry and scope at a time: concurrent requests share it. */
  login(ref: RepositoryRef, scope: string, challenge: AuthChallenge | undefined, what: string): Promise<RegistryCredential | undefined> {
    const key = `${ref.registry}|${scope}`;
    let login = this.#logins.get(key);
    if (!login) {
      login = this.#authenticate(ref, scope, challenge, what).finally(() => this.#logins.delete(key));
      this.#logins.set(key, login);
    }
    return login;
  }

  /** The Authorization header for `scope` at `host` now, if a token or Basic login is armed. */
  authorization(host: string, scope: string): Promise<string | undefined> | string | undefined {
    const token = this.#tokens.get(`${host}|${scope}`);
    if (token && token.expiresAt > Date.now()) return `Bearer ${token.token}`;
    if (token) this.#tokens.delete(`${host}|${scope}`);
    if (this.#basic.has(host)) {
      const [, repository = ''] = scope.split(':');
      return this.#options.credentials?.lookup(host, repository).then((c) => (c ? basicAuthorization(c) : undefined));
    }
    return undefined;
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
    if (realmUrl.protocol !== 'https:' && !(realmUrl.protocol === 'http:' && this.#transport.plainHttpAllowed(realmUrl.host))) {
      throw new TrustError('registry-auth', `${ref.registry} sends its token requests to ${realmUrl.origin} without TLS; refused so no credential travels in the clear.`);
    }
    if (challenge.params.service !== undefined) realmUrl.searchParams.set('service', challenge.params.service);
    realmUrl.searchParams.set('scope', scope);
    const headers: Record<string, string> = { 'user-agent': this.#options.userAgent, accept: 'application/json' };
    if (credential) headers.authorization = basicAuthorization(credential);
    const answer = await this.#transport.request(realmUrl.toString(), headers, { kind: 'token', maxBytes: MAX_TOKEN_BYTES, what: `a token from ${realmUrl.host}` });
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
}

function basicAuthorization(c: RegistryCredential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
