// rpm-ostreed comes and goes: idle exit without registered clients, restarts (new unique name) even in
// the middle of a transaction. The client must notice, re-register, re-read, and never hang.

import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { connectHost, type HostClient } from '../../../main/host/index.ts';
import { CURRENT } from '../../world/catalog.ts';
import { startWorld, type World } from '../../world/world.ts';
import { hostOf, stateWhere } from '../../support/host.ts';

describe('the daemon going away and coming back', () => {
  let world: World | undefined;
  const clients: HostClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await world?.stop();
    world = undefined;
  });

  async function connect(w: World): Promise<HostClient> {
    const client = await connectHost({ busAddress: w.systemBus.address });
    clients.push(client);
    return client;
  }

  it('ends an operation with daemon-gone when the daemon restarts under it, then recovers', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const host = hostOf(world);
    const client = await connect(world);
    const before = client.state.daemonName;
    await host.setFaults({ restartInTransaction: 'Rebase' });

    const tx = await client.rebase(`ostree-unverified-registry:${world.registry.host}/acme/vespera-dx:latest`);
    const outcome = await tx.done;
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error.code).toBe('daemon-gone');
    expect(!outcome.ok && outcome.error.message).toMatch(/stopped or restarted.*try again/);

    // The new daemon process: registered again, state re-read, nothing half-done.
    const state = await stateWhere(client, (s) => s.daemon === 'running' && s.daemonName !== undefined && s.daemonName !== before);
    expect(state.staged).toBeUndefined();
    expect(state.booted?.version).toBe(CURRENT.version);
    const dump = await host.dump();
    expect(dump.uniqueName).toBe(state.daemonName);
    expect(dump.clients.map((c) => c.id)).toEqual(['vespera-updates']);

    const retry = await (await client.rebase(`ostree-unverified-registry:${world.registry.host}/acme/vespera-dx:latest`)).done;
    expect(retry.ok).toBe(true);
  });

  it('keeps the daemon alive while registered, re-registers after a restart, and lets it idle-exit after', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const host = hostOf(world);
    await host.setFaults({ idleExitSeconds: 1 });
    // Nobody registered: it exits, as rpm-ostreed does after its idle timeout.
    await host.waitUntilGone(10_000);

    // Connecting starts it again (bus activation) and registers.
    const client = await connect(world);
    const first = client.state.daemonName;
    expect(client.state.daemon).toBe('running');
    expect((await host.dump()).clients.map((c) => c.id)).toEqual(['vespera-updates']);
    await sleep(1600);
    expect(await host.owner()).toBe(first);

    const seen: Array<string | undefined> = [];
    client.onChange((s) => seen.push(s.daemon === 'gone' ? 'gone' : s.daemonName));
    await host.restart();
    const state = await stateWhere(client, (s) => s.daemon === 'running' && s.daemonName !== first);
    expect(seen).toContain('gone');
    expect((await host.dump()).clients.map((c) => c.id)).toEqual(['vespera-updates']);
    expect(state.booted?.version).toBe(CURRENT.version);
    await sleep(1600);
    expect(await host.owner()).toBe(state.daemonName);

    await client.close();
    await host.waitUntilGone(10_000);
  });

  it('starts the daemon again after it dies, and picks the state back up', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const host = hostOf(world);
    const client = await connect(world);
    const first = client.state.daemonName;
    const pid = await host.pid();
    process.kill(pid ?? 0, 'SIGKILL');
    await stateWhere(client, (s) => s.daemon === 'gone');
    expect(client.state.deployments).toHaveLength(2);
    const back = await stateWhere(client, (s) => s.daemon === 'running' && s.daemonName !== first, 15_000);
    expect(back.booted?.version).toBe(CURRENT.version);
    expect((await host.dump()).clients.map((c) => c.id)).toEqual(['vespera-updates']);
  });
});
