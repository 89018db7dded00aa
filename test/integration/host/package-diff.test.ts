// GetDeploymentsRpmDiff against the stand-in, through the host client: the packages of two deployments
// as their image content has them, both directions, a build pushed with other packages, and refusals.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHost, type Deployment, type HostClient, type PackageDiffEntry } from '../../../main/host/index.ts';
import { CURRENT, NEWER, OLD } from '../../world/catalog.ts';
import { buildImage } from '../../world/oci.ts';
import { releasePackages, type RpmPackage } from '../../world/packages.ts';
import { hostOf } from '../../support/host.ts';
import { startWorld, type World } from '../../world/world.ts';

const NVIDIA = 'acme/vespera-nvidia';

function evr(p: RpmPackage): string {
  return `${p.epoch === '(none)' ? '' : `${p.epoch}:`}${p.version}-${p.release}`;
}

function byName(entries: readonly PackageDiffEntry[]): Map<string, string> {
  return new Map(entries.map((e) => [e.name, `${e.kind} ${e.previous?.evr ?? '-'} → ${e.next?.evr ?? '-'}`]));
}

describe('package changes between deployments (GetDeploymentsRpmDiff)', () => {
  let world: World;
  let client: HostClient;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'pinned-rollback' });
    client = await connectHost({ busAddress: world.systemBus.address });
  });
  afterAll(async () => {
    await client.close();
    await world.stop();
  });

  const booted = (): Deployment => client.state.booted as Deployment;
  const rollback = (): Deployment => client.state.rollback as Deployment;

  it('reports what rolling back to the pinned deployment changes, and the reverse', async () => {
    expect(rollback()).toMatchObject({ version: OLD.version, pinned: true });
    const back = byName(await client.deploymentsRpmDiff(booted(), rollback()));
    expect(back.get('kernel')).toBe('downgraded 6.17.8-300.fc42 → 6.17.7-300.fc42');
    expect(back.get('nvidia-driver')).toBe('downgraded 3:580.95.05-1.fc42 → 3:580.82.09-1.fc42');
    expect(back.get('gnome-shell')).toBe('downgraded 48.6-1.fc42 → 48.5-1.fc42');
    expect(back.has('systemd')).toBe(false); // the same in both builds
    const forward = byName(await client.deploymentsRpmDiff(rollback(), booted()));
    expect(forward.get('kernel')).toBe('upgraded 6.17.7-300.fc42 → 6.17.8-300.fc42');
    expect(forward.size).toBe(back.size);
  });

  it('answers in rpm-ostree\'s order: added, removed, upgraded, downgraded, each by name', async () => {
    const entries = await client.deploymentsRpmDiff(rollback(), booted());
    const order = ['added', 'removed', 'upgraded', 'downgraded'];
    const keys = entries.map((e) => `${order.indexOf(e.kind)} ${e.name}`);
    expect(keys).toEqual([...keys].sort());
  });

  it('refuses an id the host does not have with rpm-ostree\'s error, and a polkit refusal as denied', async () => {
    const gone: Deployment = { ...rollback(), id: `fedora-${'0'.repeat(64)}.0` };
    await expect(client.deploymentsRpmDiff(booted(), gone)).rejects.toMatchObject({
      code: 'deployment-not-found',
      detail: `org.gtk.GDBus.UnmappedGError.Quark._g_2dio_2derror_2dquark.Code0: Deployment with id '${gone.id}' not found`,
    });
    await hostOf(world).setFaults({ deny: ['GetDeploymentsRpmDiff'] });
    try {
      await expect(client.deploymentsRpmDiff(booted(), rollback())).rejects.toMatchObject({
        code: 'denied',
        detail: 'org.freedesktop.DBus.Error.AccessDenied: rpmostreed OS operation GetDeploymentsRpmDiff not allowed for user',
      });
    } finally {
      await hostOf(world).clearFaults();
    }
  });

  it('reads the packages from the image content: a build pushed with other packages shows that difference', async () => {
    // The publisher's next build: one package dropped, one added, a new kernel.
    const release = { version: '42.20261130.0', created: '2026-11-30T04:00:00Z', tags: ['latest'], signatures: [] };
    const current = releasePackages('vespera-nvidia', world.images.get(NVIDIA, CURRENT.version).release);
    const next: RpmPackage[] = [
      ...current.filter((p) => p.name !== 'htop').map((p) => (p.name.startsWith('kernel') ? { ...p, version: '6.18.1', release: '200.fc42' } : p)),
      { name: 'cowsay', epoch: '(none)', version: '3.8.4', release: '2.fc42', arch: 'noarch' },
    ];
    await world.images.pushRelease(NVIDIA, release, next);
    const staged = await (await client.stageUpdate()).done;
    expect(staged.ok).toBe(true);
    expect(client.state.staged?.version).toBe(release.version);

    const changes = byName(await client.deploymentsRpmDiff(booted(), client.state.staged as Deployment));
    const expected = new Map<string, string>();
    const before = new Map(current.map((p) => [p.name, p]));
    for (const p of next) {
      const old = before.get(p.name);
      if (!old) expected.set(p.name, `added - → ${evr(p)}`);
      else if (evr(old) !== evr(p)) expected.set(p.name, `upgraded ${evr(old)} → ${evr(p)}`);
    }
    expected.set('htop', 'removed 3.4.1-1.fc42 → -');
    expect(changes).toEqual(expected);
    expect(changes.get('cowsay')).toBe('added - → 3.8.4-2.fc42');
    expect(changes.get('kernel')).toBe('upgraded 6.17.8-300.fc42 → 6.18.1-200.fc42');
    // Nothing of the catalog's own newer build leaks in: the answer is this image's content.
    expect(changes.has('fastfetch')).toBe(false);
    expect(NEWER.version).not.toBe(release.version);
  });

  it('deploys an image without an rpm database, and says so when asked to compare it', async () => {
    const bare = buildImage({
      format: 'oci-manifest',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      labels: { 'org.opencontainers.image.version': '42.20261201.0', 'ostree.bootable': 'true' },
      created: '2026-12-01T04:00:00Z',
      layers: [{ 'usr/lib/os-release': 'NAME="Vespera"\n' }],
    });
    await world.images.pusher.pushImage(NVIDIA, bare, ['latest']);
    expect((await (await client.stageUpdate()).done).ok).toBe(true);
    const staged = client.state.staged as Deployment;
    expect(staged.version).toBe('42.20261201.0');
    await expect(client.deploymentsRpmDiff(booted(), staged)).rejects.toMatchObject({
      code: 'unknown',
      message: `rpm-ostreed could not compare the packages of two deployments: Failed to load package list: No rpm database in commit ${staged.checksum}`,
    });
  });
});
