import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrustError } from '../../../main/trust/errors.ts';
import { bundledPublicGoodRoot, loadPublicGoodTrustRoot, loadTrustedRootFile, parseTrustedRoot, RefreshableTrustRoot, type TrustRoot } from '../../../main/trust/trust-root.ts';
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

  it('reloads a root for a long-running app: the new one when it changed, the old one kept when loading fails', async () => {
    const file = join(dir, 'rotating.json');
    writeFileSync(file, JSON.stringify(new TestSigstore().trustedRoot()));
    const load = (): Promise<TrustRoot> => loadTrustedRootFile(file);
    const roots = new RefreshableTrustRoot(await load(), load);
    const first = roots.current;
    expect(await roots.refresh()).toBeUndefined();
    writeFileSync(file, JSON.stringify(new TestSigstore().trustedRoot()));
    const rotated = await roots.refresh();
    expect(rotated?.id).not.toBe(first.id);
    expect(roots.current).toBe(rotated);
    writeFileSync(file, '{');
    await expect(roots.refresh()).rejects.toMatchObject({ code: 'invalid-input' });
    expect(roots.current).toBe(rotated);
  });

  it('refreshes public-good through TUF when the copy is older than the refresh period, and keeps the copy offline', async () => {
    const cacheDir = join(dir, 'periodic');
    mkdirSync(cacheDir, { recursive: true });
    const copy = join(cacheDir, 'trusted_root.json');
    writeFileSync(copy, JSON.stringify(new TestSigstore().trustedRoot()));
    const hourOld = new Date(Date.now() - 3_600_000);
    utimesSync(copy, hourOld, hourOld);
    // A mirror that answers nothing useful, and counts who asked.
    let asked = 0;
    const mirror = createServer((_req, res) => {
      asked++;
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
    try {
      // Younger than a day: used as is, nobody asked.
      expect((await loadPublicGoodTrustRoot({ cacheDir, mirror: url, maxAgeMs: 86_400_000 })).source).toBe('cache');
      expect(asked).toBe(0);
      // Older than a 1-minute period: TUF is asked; it fails, so the copy stays.
      expect((await loadPublicGoodTrustRoot({ cacheDir, mirror: url, maxAgeMs: 60_000, timeoutMs: 5000 })).source).toBe('cache');
      expect(asked).toBeGreaterThan(0);
    } finally {
      mirror.close();
    }
  });
});
