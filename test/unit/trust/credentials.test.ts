import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authFiles, CredentialStore } from '../../../main/trust/credentials.ts';

const dir = mkdtempSync(join(tmpdir(), 'auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function authFile(path: string, auths: Record<string, string>): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify({ auths: Object.fromEntries(Object.entries(auths).map(([k, v]) => [k, { auth: Buffer.from(v).toString('base64') }])) }));
  return path;
}

describe('registry credentials from auth files', () => {
  it('looks where podman, skopeo and docker write them, in containers/image order', () => {
    expect(authFiles({ HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000' })).toEqual([
      '/run/user/1000/containers/auth.json',
      '/home/u/.config/containers/auth.json',
      '/home/u/.docker/config.json',
    ]);
    expect(authFiles({ HOME: '/home/u', REGISTRY_AUTH_FILE: '/etc/auth.json' })).toEqual(['/etc/auth.json']);
  });

  it('uses the first file with an entry and the most specific key in it', async () => {
    const runtime = authFile(join(dir, 'run', 'auth.json'), { 'ghcr.io/acme': 'team:t0ken' });
    const config = authFile(join(dir, 'config', 'auth.json'), { 'ghcr.io': 'user:pass', 'ghcr.io/acme/vespera': 'repo:only' });
    const store = new CredentialStore([runtime, config]);
    expect(await store.lookup('ghcr.io', 'acme/vespera')).toMatchObject({ username: 'team', password: 't0ken', source: runtime });
    expect(await store.lookup('ghcr.io', 'other/image')).toMatchObject({ username: 'user', source: config });
    expect(await store.lookup('quay.io', 'acme/vespera')).toBeUndefined();
  });

  it("reads docker's URL keys and passwords containing colons; skips broken files", async () => {
    const docker = authFile(join(dir, 'docker', 'config.json'), { 'https://index.docker.io/v1/': 'me:pa:ss' });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ not json');
    const store = new CredentialStore([join(dir, 'missing.json'), broken, docker]);
    expect(await store.lookup('docker.io', 'library/fedora')).toMatchObject({ username: 'me', password: 'pa:ss' });
  });
});
