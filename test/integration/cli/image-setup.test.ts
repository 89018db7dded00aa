// `vespera-updates image-setup` as an image maintainer runs it: into an empty root, then that root's /etc
// judged by the real containers/image (skopeo's image proxy, as rpm-ostree uses it) and by the app's status.

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORKED_VERSION, NEWER } from '../../world/catalog.ts';
import { startWorld, type World } from '../../world/world.ts';
import { ROOT, runCli, runCliJson } from '../../support/cli.ts';
import { sigstoreSkopeo } from '../../support/skopeo.ts';

const run = promisify(execFile);
const PROXY_CLIENT = join(ROOT, 'test/support/image_proxy_open.py');

/** OpenImage through `skopeo experimental-image-proxy`, the call rpm-ostree makes before it pulls. */
async function proxyOpens(etc: string, image: string): Promise<{ ok: boolean; error: string }> {
  const { stdout } = await run('python3', [PROXY_CLIENT, sigstoreSkopeo(), join(etc, 'containers/policy.json'), join(etc, 'containers/registries.d'), `docker://${image}`], { timeout: 90_000 });
  return JSON.parse(stdout) as { ok: boolean; error: string };
}

describe('image-setup writes an image root that enforces from first boot', () => {
  let world: World;
  let root: string;
  const family = (variants: string[]): string => variants.map((v) => `${world.registry.host}/acme/${v}`).join(',');

  beforeAll(async () => {
    world = await startWorld({ scenario: 'signed-nvidia' });
    root = mkdtempSync(join(tmpdir(), 'image-root-'));
  });
  afterAll(async () => {
    await world.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("key mode: writes policy.json, registries.d, the key and the signer's config into an empty root", async () => {
    const setup = await runCliJson<{ written: string[]; keyPath: string; repository: string }>(world, [
      'image-setup', '--root', root, '--mode', 'key', '--key', world.env.VESPERA_WORLD_PUBLISHER_KEY ?? '',
      '--family', family(['vespera-nvidia', 'vespera-nvidia-open', 'vespera-dx-nvidia']),
    ]);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.json.written.sort()).toEqual(['/etc/containers/policy.json', '/etc/containers/registries.d/vespera-updates.yaml', '/etc/pki/containers/acme-vespera.pub', '/etc/vespera-updates/config.yaml']);
    expect(readFileSync(join(root, 'etc/pki/containers/acme-vespera.pub'), 'utf8')).toBe(readFileSync(world.env.VESPERA_WORLD_PUBLISHER_KEY ?? '', 'utf8'));
    const config = readFileSync(join(root, 'etc/vespera-updates/config.yaml'), 'utf8');
    expect(config).toContain(`repository: https://github.com/acme/vespera`);
    expect(config).toContain('key: /etc/pki/containers/acme-vespera.pub');
  });

  it("with that root as /etc, the real image proxy accepts the family's key-signed builds and refuses the others", async () => {
    // policy.json names keys by their host path (/etc/pki/...): the proxy reads a copy pointing into the root.
    const etc = mkdtempSync(join(tmpdir(), 'image-etc-'));
    try {
      cpSync(join(root, 'etc'), etc, { recursive: true });
      const policy = join(etc, 'containers/policy.json');
      writeFileSync(policy, readFileSync(policy, 'utf8').replaceAll('/etc/pki/containers/', `${etc}/pki/containers/`));
      const host = world.registry.host;
      const verdicts = Object.fromEntries(
        await Promise.all(
          [`acme/vespera-nvidia:latest`, `acme/vespera-nvidia:${NEWER.version}`, `acme/vespera-dx-nvidia:latest`, 'acme/vespera-nvidia:forked', 'acme/vespera-nvidia-open:latest'].map(
            async (image) => [image, await proxyOpens(etc, `${host}/${image}`)] as const,
          ),
        ),
      );
      expect(verdicts['acme/vespera-nvidia:latest']).toEqual({ ok: true, error: '' });
      expect(verdicts[`acme/vespera-nvidia:${NEWER.version}`]).toEqual({ ok: true, error: '' });
      expect(verdicts['acme/vespera-dx-nvidia:latest']).toEqual({ ok: true, error: '' });
      // Signed by another repository's workflow (version FORKED_VERSION), and keyless only: no key signature.
      expect(FORKED_VERSION).not.toBe(NEWER.version);
      expect(verdicts['acme/vespera-nvidia:forked']?.ok).toBe(false);
      expect(verdicts['acme/vespera-nvidia:forked']?.error).toMatch(/signature/);
      expect(verdicts['acme/vespera-nvidia-open:latest']?.ok).toBe(false);
      expect(verdicts['acme/vespera-nvidia-open:latest']?.error).toMatch(/signature/);
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });

  it('a host booted from that root reads "Enforced by the OS" in status, without any migration', async () => {
    // The world's host boots ostree-image-signed:…/vespera-nvidia; its /etc becomes the image's.
    for (const dir of ['containers/registries.d', 'pki/containers']) {
      for (const name of readdirSync(join(world.etcRoot, dir))) rmSync(join(world.etcRoot, dir, name));
    }
    rmSync(join(world.etcRoot, 'containers/policy.json'));
    cpSync(join(root, 'etc'), world.etcRoot, { recursive: true });
    const status = await runCliJson<{ enforcement: { mode: string; summary: string }; health: string }>(world, ['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json.enforcement).toMatchObject({ mode: 'key-enforced', summary: 'Enforced by the OS (key acme-vespera.pub)' });
    expect(existsSync(join(world.root, 'var/lib/vespera-updates/policy-backups'))).toBe(false);
    const text = await runCli(world, ['status']);
    expect(text.stdout).toMatch(/^Enforcement: Enforced by the OS \(key acme-vespera\.pub\)$/m);
  });

  it('refuses a root that already has a configuration, and writes nothing', async () => {
    const again = await runCli(world, ['image-setup', '--root', root, '--key', world.env.VESPERA_WORLD_PUBLISHER_KEY ?? '', '--family', family(['vespera-nvidia'])]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\/etc\/vespera-updates\/config\.yaml already exists .*nothing was written/);
  });

  it('app mode: records the keyless-only family as enforced by the app, and names its signer', async () => {
    const appRoot = mkdtempSync(join(tmpdir(), 'image-root-app-'));
    try {
      const setup = await runCli(world, ['image-setup', '--root', appRoot, '--family', family(['vespera', 'vespera-dx'])]);
      expect(setup.code, setup.stderr).toBe(0);
      expect(setup.stdout).toMatch(/No policy\.json can require a signature by workflows of https:\/\/github\.com\/acme\/vespera/);
      expect(existsSync(join(appRoot, 'etc/containers/policy.json'))).toBe(false);
      const record = JSON.parse(readFileSync(join(appRoot, 'etc/vespera-updates/enforcement.json'), 'utf8')) as { format: string; appEnforced: { repository: string }[] };
      expect(record.format).toBe('vespera-enforcement/1');
      expect(record.appEnforced.map((e) => e.repository)).toEqual([`${world.registry.host}/acme/vespera`, `${world.registry.host}/acme/vespera-dx`]);
    } finally {
      rmSync(appRoot, { recursive: true, force: true });
    }
  });
});
