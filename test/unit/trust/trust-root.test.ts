import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrustError } from '../../../main/trust/errors.ts';
import { bundledPublicGoodRoot, loadPublicGoodTrustRoot, loadTrustedRootFile, parseTrustedRoot } from '../../../main/trust/trust-root.ts';
import { PG_ROOT } from '../../support/sigstore-vectors.ts';
import { TestSigstore } from '../../world/sigstore/signer.ts';

const dir = mkdtempSync(join(tmpdir(), 'roots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const invalid = expect.objectContaining({ code: 'invalid-input' }) as TrustError;

describe('trust roots', () => {
  it('reads the public-good trusted root: CT logs present, so keyless certificates need SCTs', async () => {
    const root = await loadTrustedRootFile(PG_ROOT);
    expect(root).toMatchObject({ source: 'custom', hasCtLogs: true, tlogCount: 2 });
    expect(root.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads the test Sigstore root the world writes', () => {
    const root = parseTrustedRoot(Buffer.from(JSON.stringify(new TestSigstore().trustedRoot())), 'custom');
    expect(root).toMatchObject({ hasCtLogs: true, tlogCount: 1 });
    expect(root.material().certificateAuthorities[0]?.certChain).toHaveLength(2);
  });

  it('refuses roots sigstore-js would accept too leniently', () => {
    const good = new TestSigstore().trustedRoot() as { tlogs: Array<{ publicKey: { validFor?: unknown } }> };
    const noStart = structuredClone(good);
    delete noStart.tlogs[0]?.publicKey.validFor;
    expect(() => parseTrustedRoot(Buffer.from(JSON.stringify(noStart)), 'custom')).toThrow(invalid);
    expect(() => parseTrustedRoot(Buffer.from(JSON.stringify({ ...good, mediaType: 'application/json' })), 'custom')).toThrow(invalid);
    expect(() => parseTrustedRoot(Buffer.from('{'), 'custom')).toThrow(invalid);
    expect(() => parseTrustedRoot(Buffer.from(JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] })), 'custom')).toThrow(invalid);
  });

  it('says clearly when a configured root file is missing', async () => {
    await expect(loadTrustedRootFile(join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringContaining('nope.json') as string });
  });

  it('ships the public-good root (the seed of @sigstore/tuf) and uses it offline with no cache', async () => {
    expect(JSON.parse(bundledPublicGoodRoot().toString())).toEqual(JSON.parse(readFileSync(PG_ROOT, 'utf8')));
    const root = await loadPublicGoodTrustRoot({ cacheDir: join(dir, 'empty'), offline: true });
    expect(root.source).toBe('bundled');
  });

  it('uses the on-disk copy from the last TUF refresh while it is fresh, and offline even when stale', async () => {
    const cacheDir = join(dir, 'cache');
    mkdirSync(cacheDir, { recursive: true });
    const copy = join(cacheDir, 'trusted_root.json');
    writeFileSync(copy, JSON.stringify(new TestSigstore().trustedRoot()));
    expect((await loadPublicGoodTrustRoot({ cacheDir })).source).toBe('cache');
    const old = new Date(Date.now() - 30 * 86_400_000);
    utimesSync(copy, old, old);
    expect((await loadPublicGoodTrustRoot({ cacheDir, offline: true })).source).toBe('cache');
  });

  it('falls back to what it has when the TUF mirror cannot be reached', async () => {
    // A mirror on a closed loopback port: the refresh fails at once, the stale copy is used.
    const cacheDir = join(dir, 'unreachable');
    mkdirSync(cacheDir, { recursive: true });
    const copy = join(cacheDir, 'trusted_root.json');
    writeFileSync(copy, JSON.stringify(new TestSigstore().trustedRoot()));
    const old = new Date(Date.now() - 30 * 86_400_000);
    utimesSync(copy, old, old);
    expect((await loadPublicGoodTrustRoot({ cacheDir, mirror: 'http://127.0.0.1:9', timeoutMs: 5000 })).source).toBe('cache');
    expect((await loadPublicGoodTrustRoot({ cacheDir: join(dir, 'nothing'), mirror: 'http://127.0.0.1:9', timeoutMs: 5000 })).source).toBe('bundled');
  });
});
