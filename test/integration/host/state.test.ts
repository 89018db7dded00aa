// Reading the host: what a user would see in status for each kind of machine the scenarios set up.

import { describe, expect, it } from 'vitest';
import { connectHost } from '../../../main/host/index.ts';
import { CURRENT, NEWER, OLD } from '../../world/catalog.ts';
import { startWorld } from '../../world/world.ts';
import { hostOf, hostPerTest } from '../../support/host.ts';

describe('the host state, read from rpm-ostreed', () => {
  const open = hostPerTest();

  it('shows a host booted from an unverified image with the previous release kept for rollback', async () => {
    const { world, client } = await open('unverified-nvidia');
    const state = client.state;
    const nvidia = world.images.get('acme/vespera-nvidia', CURRENT.version);
    expect(state).toMatchObject({ daemon: 'running', osName: 'fedora', automaticUpdatePolicy: 'none' });
    expect(state.deployments).toHaveLength(2);
    expect(state.booted).toMatchObject({
      version: CURRENT.version,
      timestamp: Date.parse(CURRENT.created) / 1000,
      origin: `ostree-unverified-registry:${world.registry.host}/acme/vespera-nvidia:latest`,
      // rpm-ostree records the manifest of the machine's own platform, not the index.
      imageDigest: nvidia.platformDigests.amd64,
      refspec: { verification: 'unverified', image: { registry: world.registry.host, repository: 'acme/vespera-nvidia', tag: 'latest' } },
    });
    expect(state.rollback).toMatchObject({ version: OLD.version, booted: false, pinned: false });
    expect(state.rollback?.imageDigest).toBe(world.images.get('acme/vespera-nvidia', OLD.version).platformDigests.amd64);
    expect(state.staged).toBeUndefined();
    expect(state.pending).toBeUndefined();
    expect(state.cachedUpdate).toBeUndefined();
    expect(state.activeTransaction).toBeUndefined();
    // Registered under the app's name, so the daemon stays up while the app runs.
    expect((await hostOf(world).dump()).clients).toEqual([{ name: expect.stringMatching(/^:1\./) as string, id: 'vespera-updates' }]);
  });

  it('reads the whole state in a handful of bus messages', async () => {
    const { client } = await open('unverified-nvidia');
    // Hello, two AddMatch, RegisterClient, GetManagedObjects.
    expect(client.stats.sent).toBe(5);
  });

  it('shows a host already on ostree-image-signed', async () => {
    const { client } = await open('signed-nvidia');
    expect(client.state.booted?.refspec).toMatchObject({ kind: 'container', verification: 'signed', scheme: 'ostree-image-signed' });
    expect(client.state.rollback?.refspec).toMatchObject({ verification: 'unverified' });
  });

  it('shows an update staged by the timer, waiting for the next boot', async () => {
    const { world, client } = await open('staged-update');
    const state = client.state;
    expect(state.automaticUpdatePolicy).toBe('stage');
    expect(state.deployments.map((d) => d.version)).toEqual([NEWER.version, CURRENT.version, OLD.version]);
    expect(state.staged).toMatchObject({ version: NEWER.version, staged: true, finalizationLocked: false });
    expect(state.staged?.imageDigest).toBe(world.images.get('acme/vespera-nvidia', NEWER.version).platformDigests.amd64);
    expect(state.pending?.id).toBe(state.staged?.id);
    expect(state.cachedUpdate).toMatchObject({ version: NEWER.version, stagedDeploymentId: state.staged?.id, refHasNewCommit: true });
    expect(state.cachedUpdate?.manifestDiff).toBeUndefined();
  });

  it('shows an update found by a check but not pulled: version and layer counts only', async () => {
    const { client } = await open('cached-update');
    expect(client.state.staged).toBeUndefined();
    expect(client.state.cachedUpdate).toMatchObject({
      version: NEWER.version,
      checksum: client.state.booted?.checksum,
      refHasNewCommit: false,
      manifestDiff: { total: 4, added: 4, removed: 4 },
    });
    expect(client.state.cachedUpdate?.manifestDiff?.addedSize).toBeGreaterThan(0);
  });

  it('shows a pinned rollback deployment', async () => {
    const { client } = await open('pinned-rollback');
    expect(client.state.rollback).toMatchObject({ version: OLD.version, pinned: true });
    expect(client.state.booted?.pinned).toBe(false);
  });

  it('says plainly when there is no rpm-ostreed on the bus', async () => {
    const world = await startWorld();
    try {
      await expect(connectHost({ busAddress: world.systemBus.address })).rejects.toMatchObject({
        code: 'daemon-gone',
        message: expect.stringMatching(/not available.*Fedora Atomic/) as string,
      });
    } finally {
      await world.stop();
    }
  });
});
