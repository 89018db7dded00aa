// One logical HTTP request to a registry or its token server: retries on 429/5xx and dropped
// connections, redirects that never carry credentials to another host, body caps, deadlines, counters.

import { setTimeout as sleep } from 'node:timers/promises';
import type { RegistrySettings } from '../shared/config.ts';
import { LimitError, readBodyLimited } from '../shared/bounded.ts';
import { describeError } from '../shared/errors.ts';
import { TrustError } from './errors.ts';

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

export interface SendOptions {
  readonly kind: RequestKind;
  readonly method?: 'GET' | 'HEAD';
  readonly accept?: readonly string[];
  readonly maxBytes: number;
  /** What the user would call it, for messages: "the manifest of ghcr.io/acme/x:latest". */
  readonly what: string;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** The client's options this layer reads, with their defaults already filled in. */
export interface TransportOptions {
  readonly settingsFor: (host: string) => RegistrySettings;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly maxRetryAfterMs: number;
  readonly maxRedirects: number;
}

/** Plain HTTP is used only for loopback registries and those the config marks insecure. */
export function usesPlainHttp(host: string, settings: RegistrySettings): boolean {
  return isLoopbackHost(host) || settings.insecure;
}

export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

export class RegistryTransport {
  readonly #options: TransportOptions;
  /** The client's counters, updated in place so its callers see every request. */
  readonly #counters: RequestCounters;

  constructor(options: TransportOptions, counters: RequestCounters) {
    this.#options = options;
    this.#counters = counters;
  }

  plainHttpAllowed(host: string): boolean {
    return usesPlainHttp(host, this.#options.settingsFor(host));
  }

  /** One logical request: retries on 429/5xx/dropped connections, follows redirects safely. */
  async request(url: string, headers: Record<string, string>, options: SendOptions): Promise<Answer> {
    const { attempts, backoffMs } = this.#options;
    for (let attempt = 1; ; attempt++) {
      let answer: Answer;
      try {
        answer = await this.#follow(url, headers, options);
      } catch (error) {
        if (error instanceof TrustError || attempt >= attempts) throw toNetworkError(error, options.what, url);
        this.#counters.retries++;
        await sleep(backoff(backoffMs, attempt));
        continue;
      }
      if ((answer.status === 429 || answer.status >= 500) && attempt < attempts) {
        this.#counters.retries++;
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
      this.#counters.total++;
      this.#counters[options.kind]++;
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
        if (next.protocol !== 'https:' && !(next.protocol === 'http:' && (url.protocol === 'http:' || this.plainHttpAllowed(next.host)))) {
          throw new TrustError('network', `${url.host} redirected ${options.what} to ${next.protocol}//${next.host}, which is not HTTPS; refused.`);
        }
        // Credentials are for the registry (or token server) they were issued for, never another host.
        if (next.origin !== origin) {
          current = { ...current };
          delete current.authorization;
        }
        this.#counters.redirects++;
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
