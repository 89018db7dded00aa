import { describe, expect, it } from 'vitest';
import type { VerificationResult } from '../../../main/trust/result.ts';
import { VerificationCache } from '../../../main/trust/verification-cache.ts';

const verified = { status: 'verified' } as VerificationResult;
const failed = (code: string): VerificationResult => ({ status: 'failed', code } as VerificationResult);

describe('the verification cache', () => {
  it('keys questions by content, whatever the order of their fields', () => {
    expect(VerificationCache.key({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(VerificationCache.key({ b: [1, { d: 3, c: 2 }], a: 1, e: undefined }));
    expect(VerificationCache.key({ a: 1 })).not.toBe(VerificationCache.key({ a: 2 }));
  });

  it('remembers a verified answer for hours and a failure for a minute, never a network failure', () => {
    let now = 0;
    const cache = new VerificationCache({ now: () => now });
    cache.set('v', verified);
    cache.set('f', failed('no-signature'));
    cache.set('n', failed('network'));
    expect(cache.get('n')).toBeUndefined();
    now = 59_000;
    expect(cache.get('f')).toBeDefined();
    now = 61_000;
    expect(cache.get('f')).toBeUndefined();
    expect(cache.get('v')).toBe(verified);
    now = 7 * 3_600_000;
    expect(cache.get('v')).toBeUndefined();
  });

  it('forgets the least recently used answers beyond its size', () => {
    const cache = new VerificationCache({ maxEntries: 2 });
    cache.set('a', verified);
    cache.set('b', verified);
    cache.get('a');
    cache.set('c', verified);
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map(Boolean)).toEqual([true, false, true]);
    expect(cache.size).toBe(2);
  });
});
