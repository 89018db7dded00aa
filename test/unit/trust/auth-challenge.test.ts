import { describe, expect, it } from 'vitest';
import { parseAuthChallenge, parseTokenResponse } from '../../../main/trust/auth-challenge.ts';

describe('registry authentication challenges', () => {
  it("reads GHCR's bearer challenge", () => {
    expect(parseAuthChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/vespera:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/vespera:pull' },
    });
  });

  it('handles escaped quotes, unquoted values, spaces and case', () => {
    expect(parseAuthChallenge('bearer  realm = "https://a/\\"x\\"" , service=reg')?.params).toEqual({ realm: 'https://a/"x"', service: 'reg' });
    expect(parseAuthChallenge('Basic realm="Registry"')).toEqual({ scheme: 'basic', params: { realm: 'Registry' } });
  });

  it('keeps the first of repeated parameters and ignores other schemes', () => {
    expect(parseAuthChallenge('Bearer realm="https://good/token",realm="https://evil/token"')?.params.realm).toBe('https://good/token');
    expect(parseAuthChallenge('Negotiate abc')).toBeUndefined();
    expect(parseAuthChallenge(undefined)).toBeUndefined();
  });

  it('accepts token or access_token, caps the lifetime, and refuses tokens that could smuggle headers', () => {
    const now = 1_000_000;
    expect(parseTokenResponse({ token: 'abc.def-ghi_', expires_in: 300 }, now)).toEqual({ token: 'abc.def-ghi_', expiresAt: now + 290_000 });
    expect(parseTokenResponse({ access_token: 'xyz' }, now)?.expiresAt).toBe(now + 50_000);
    expect(parseTokenResponse({ token: 'x', expires_in: 10 ** 9 }, now)?.expiresAt).toBe(now + 3_590_000);
    expect(parseTokenResponse({ token: 'abc\r\nX-Evil: 1' }, now)).toBeUndefined();
    expect(parseTokenResponse({ token: '' }, now)).toBeUndefined();
    expect(parseTokenResponse('token', now)).toBeUndefined();
  });
});
