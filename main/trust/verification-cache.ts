// Answers already given, keyed by (trust root, image source, digest, policy), so the update watch
// can ask again every few minutes without refetching signatures. Bounded in size and in age.

import { createHash } from 'node:crypto';
import type { VerificationResult } from './result.ts';

export interface VerificationCacheOptions {
  readonly maxEntries?: number;
  /** How long a "verified" stays true: signatures of a digest do not change, but trust roots do. */
  readonly verifiedTtlMs?: number;
  /** How long a failure is repeated without asking: the publisher may sign a little later. */
  readonly failedTtlMs?: number;
  readonly now?: () => number;
}

/** Failures that say nothing about the image itself are never remembered. */
const TRANSIENT = new Set(['network', 'registry-auth']);

export class VerificationCache {
  readonly #entries = new Map<string, { result: VerificationResult; expires: number }>();
  readonly #max: number;
  readonly #verifiedTtl: number;
  readonly #failedTtl: number;
  readonly #now: () => number;
  hits = 0;
  misses = 0;

  constructor(options: VerificationCacheOptions = {}) {
    this.#max = options.maxEntries ?? 512;
    this.#verifiedTtl = options.verifiedTtlMs ?? 6 * 3_600_000;
    this.#failedTtl = options.failedTtlMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** A stable key for any JSON-able description of the question. */
  static key(question: unknown): string {
    return createHash('sha256').update(stableJson(question)).digest('hex');
  }

  get(key: string): VerificationResult | undefined {
    const entry = this.#entries.get(key);
    if (!entry || entry.expires <= this.#now()) {
      if (entry) this.#entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.hits++;
    return entry.result;
  }

  set(key: string, result: VerificationResult): void {
    if (result.status === 'failed' && TRANSIENT.has(result.code)) return;
    const ttl = result.status === 'verified' ? this.#verifiedTtl : this.#failedTtl;
    this.#entries.delete(key);
    this.#entries.set(key, { result, expires: this.#now() + ttl });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
