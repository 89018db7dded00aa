import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import dbus from 'dbus-next';
import { askBusDaemon } from '../../../main/shared/bus-daemon.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, MEDIA } from '../../world/oci.ts';
import { startWorld, type World } from '../../world/world.ts';
import { isAlive, processesMentioning } from '../../support/processes.ts';

async function busId(address: string): Promise<string> {
  return (await askBusDaemon({ address }, 'GetId'))[0] as string;
}

describe('a test world', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.stop();
  });

  it('runs two private buses that answer GetId with different ids', async () => {
    expect(world.systemBus.address).toMatch(new RegExp(`^unix:path=${world.root}/`));
    const [system, session] = await Promise.all([busId(world.systemBus.address), busId(world.sessionBus.address)]);
    expect(system).toMatch(/^[0-9a-f]{32}$/);
    expect(session).toMatch(/^[0-9a-f]{32}$/);
    expect(system).not.toBe(session);
  });

  it('gives programs inside it the bus addresses, the registry and the app config', () => {
    expect(world.env).toMatchObject({
      DBUS_SYSTEM_BUS_ADDRESS: world.systemBus.address,
      DBUS_SESSION_BUS_ADDRESS: world.sessionBus.address,
      VESPERA_WORLD_REGISTRY: world.registry.host,
      VESPERA_UPDATES_CONFIG: world.configPath,
    });
    expect(existsSync(world.configPath)).toBe(true);
    expect(existsSync(`${world.etcRoot}/containers/policy.json`)).toBe(true);
  });

  it('keeps the system bus closed to callers the policy does not name', async () => {
    const bus = dbus.sessionBus({ busAddress: world.systemBus.address });
    try {
      await expect(bus.requestName('org.projectatomic.rpmostree1', 0)).rejects.toMatchObject({
        type: 'org.freedesktop.DBus.Error.AccessDenied',
      });
    } finally {
      bus.disconnect();
    }
  });

  it('accepts a pushed image and serves it back by digest', async () => {
    const image = buildImage({
      format: 'oci-manifest',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      labels: { 'org.opencontainers.image.version': 'push-test' },
      created: '2026-11-26T00:00:00Z',
      layers: [{ 'hello.txt': 'hello world' }],
    });
    await world.images.pusher.pushImage('acme/push-test', image, ['v1']);

    const byTag = await fetch(`${world.registry.url}/v2/acme/push-test/manifests/v1`, { headers: { accept: MEDIA.ociManifest } });
    expect(byTag.headers.get('docker-content-digest')).toBe(image.top.digest);
    await byTag.arrayBuffer();

    const byDigest = await fetch(`${world.registry.url}/v2/acme/push-test/manifests/${image.top.digest}`, {
      headers: { accept: MEDIA.ociManifest },
    });
    const body = Buffer.from(await byDigest.arrayBuffer());
    expect(byDigest.status).toBe(200);
    expect(body.equals(image.top.data)).toBe(true);

    const layer = image.top.blobs[1];
    const blob = await fetch(`${world.registry.url}/v2/acme/push-test/blobs/${layer?.digest}`);
    const bytes = Buffer.from(await blob.arrayBuffer());
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(layer?.digest);
  });

  it('serves the Vespera catalog with multi-platform indexes and moves tags', async () => {
    const latest = world.images.get('acme/vespera-nvidia', 'latest');
    const response = await fetch(`${world.registry.url}/v2/acme/vespera-nvidia/manifests/latest`, {
      method: 'HEAD',
      headers: { accept: [MEDIA.ociIndex, MEDIA.ociManifest].join(', ') },
    });
    expect(response.headers.get('docker-content-digest')).toBe(latest.digest);
    expect(response.headers.get('content-type')).toBe(MEDIA.ociIndex);
    expect(Object.keys(latest.platformDigests).sort()).toEqual(['amd64', 'arm64']);

    const moved = await world.images.retag('acme/vespera-nvidia', 'latest', '42.20261125.0');
    const after = await fetch(`${world.registry.url}/v2/acme/vespera-nvidia/manifests/latest`, {
      method: 'HEAD',
      headers: { accept: MEDIA.ociIndex },
    });
    expect(after.headers.get('docker-content-digest')).toBe(moved.digest);
    expect(moved.digest).not.toBe(latest.digest);
  });
});

describe('world teardown', () => {
  it('leaves no process and no folder behind, and two worlds run side by side', async () => {
    const [a, b] = await Promise.all([startWorld(), startWorld()]);
    expect(a.registry.host).not.toBe(b.registry.host);
    const pids = [a, b].flatMap((w) => [w.systemBus.process.pid, w.sessionBus.process.pid, w.registry.process.pid]);
    expect(pids.every(isAlive)).toBe(true);
    expect(processesMentioning(a.root).length).toBeGreaterThanOrEqual(3);

    await a.stop();
    expect(processesMentioning(a.root)).toEqual([]);
    expect(existsSync(a.root)).toBe(false);
    // The other world is untouched by the first one's teardown.
    expect(await busId(b.systemBus.address)).toMatch(/^[0-9a-f]{32}$/);

    await b.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(b.root)).toBe(false);
  });
});
