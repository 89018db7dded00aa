// Operations through rpm-ostreed transactions, as a user of the app meets them: progress of a rebase,
// a busy system, polkit saying no, cancelling, registry trouble, and rolling back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHost, HostError, type HostClient, type TransactionEvent } from '../../../main/host/index.ts';
import { CURRENT, OLD } from '../../world/catalog.ts';
import { startWorld, type World } from '../../world/world.ts';
import { hostOf, stateWhere } from '../../support/host.ts';

async function rejection(promise: Promise<unknown>): Promise<HostError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HostError) return error;
    throw error;
  }
  throw new Error('expected the operation to be refused');
}

describe('operations on a host booted from an unverified image', () => {
  let world: World;
  let client: HostClient;
  let other: HostClient;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    client = await connectHost({ busAddress: world.systemBus.address });
    other = await connectHost({ busAddress: world.systemBus.address, clientId: 'someone-else' });
  });
  afterAll(async () => {
    await client.close();
    await other.close();
    await world.stop();
  });

  const dx = (): string => `ostree-unverified-registry:${world.registry.host}/acme/vespera-dx:latest`;

  it('follows a rebase from Start to Finished, with progress in rpm-ostree order', async () => {
    const tx = await client.rebase(dx());
    expect(tx.started).toBe(true);
    const events: TransactionEvent[] = [];
    for await (const event of tx.progress) events.push(event);
    const outcome = await tx.done;

    expect(events[0]).toEqual({ kind: 'message', text: `Pulling manifest: ${dx()}` });
    const dxImage = world.images.get('acme/vespera-dx', 'latest');
    expect(events).toContainEqual({ kind: 'message', text: `Importing: ${dx()} (digest: ${dxImage.digest})` });
    const fetches = events.filter((e) => e.kind === 'task-begin' && e.step !== undefined);
    expect(fetches.length).toBeGreaterThan(0);
    fetches.forEach((e, i) => expect(e.kind === 'task-begin' && e.step).toEqual({ index: i + 1, total: fetches.length }));
    // Every task that begins ends with "done" before the next one begins.
    const tasks = events.filter((e) => e.kind === 'task-begin' || e.kind === 'task-end');
    tasks.forEach((e, i) => expect(e.kind).toBe(i % 2 === 0 ? 'task-begin' : 'task-end'));
    expect(tasks.at(-2)).toEqual({ kind: 'task-begin', text: 'Staging deployment' });
    expect(events.at(-1)).toEqual({ kind: 'finished', success: true, message: '' });

    expect(outcome.ok).toBe(true);
    expect(outcome.created).toHaveLength(1);
    expect(outcome.created[0]).toMatchObject({ staged: true, origin: dx(), imageDigest: dxImage.digest });
    expect(client.state.staged?.origin).toBe(dx());
    expect(client.state.pending?.id).toBe(client.state.staged?.id);
    expect(client.state.booted?.version).toBe(CURRENT.version);
    // The other client sees the new deployment from PropertiesChanged alone.
    await stateWhere(other, (s) => s.staged?.origin === dx());
  });

  it('refuses a second, different operation while one runs, and lets an identical one join', async () => {
    const host = hostOf(world);
    await host.setFaults({ holdTransactions: true });
    try {
      const first = await client.cleanup(['repomd']);
      await stateWhere(other, (s) => s.activeTransaction?.method === 'Cleanup');
      expect(other.state.activeTransaction).toMatchObject({ byThisClient: false, address: first.address });
      expect(client.state.activeTransaction?.byThisClient).toBe(true);

      const busy = await rejection(other.stageUpdate());
      expect(busy.code).toBe('busy');
      expect(busy.message).toMatch(/busy with another update operation \(cleanup\)/);

      const joined = await other.cleanup(['repomd']);
      expect(joined.address).toBe(first.address);
      expect(joined.started).toBe(false);
      await host.release();
      const [a, b] = await Promise.all([first.done, joined.done]);
      expect(a.ok && b.ok).toBe(true);
    } finally {
      await host.clearFaults();
    }
    await stateWhere(client, (s) => s.activeTransaction === undefined);
  });

  it('reports a refusal by polkit and changes nothing', async () => {
    const host = hostOf(world);
    await host.setFaults({ deny: ['Rebase'] });
    try {
      const error = await rejection(client.rebase(`ostree-unverified-registry:${world.registry.host}/acme/vespera:latest`));
      expect(error.code).toBe('denied');
      expect(error.detail).toContain('rpmostreed OS operation Rebase not allowed for user');
    } finally {
      await host.clearFaults();
    }
    expect(client.state.staged?.origin).toBe(dx());
  });

  it('cancels a running operation and leaves the system as it was', async () => {
    const host = hostOf(world);
    await host.setFaults({ holdTransactions: true });
    try {
      const tx = await client.rebase(`ostree-unverified-registry:${world.registry.host}/acme/vespera-dx-nvidia:latest`);
      await new Promise<void>((resolve) => tx.onEvent((e) => e.kind === 'message' && resolve()));
      await tx.cancel();
      const outcome = await tx.done;
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error.code).toBe('cancelled');
      expect(outcome.created).toEqual([]);
    } finally {
      await host.clearFaults();
    }
    expect(client.state.staged?.origin).toBe(dx());
  });

  it('reports a registry that cannot be reached as a network problem', async () => {
    const host = hostOf(world);
    await host.setFaults({ pullFailure: host.networkFailure() });
    try {
      const outcome = await (await client.stageUpdate()).done;
      expect(!outcome.ok && outcome.error.code).toBe('network');
      expect(!outcome.ok && outcome.error.message).toMatch(/Check the network connection/);
    } finally {
      await host.clearFaults();
    }
  });

  it('reports an image the registry does not have', async () => {
    const outcome = await (await client.rebase(`ostree-unverified-registry:${world.registry.host}/acme/vespera:no-such-tag`)).done;
    expect(!outcome.ok && outcome.error.code).toBe('image-not-found');
    expect(!outcome.ok && outcome.error.detail).toMatch(/reading manifest no-such-tag in .*acme\/vespera: manifest unknown/);
  });

  it('says when there is nothing newer to stage', async () => {
    const outcome = await (await client.stageUpdate()).done;
    expect(outcome.ok).toBe(true);
    expect(outcome.messages).toContain('No upgrade available.');
    expect(outcome.created).toEqual([]);
  });

  it('will not roll back over a staged update unless told to discard it first', async () => {
    const blocked = await rejection(client.rollback());
    expect(blocked.code).toBe('staged-blocks-rollback');
    expect(blocked.message).toMatch(/Discard the staged update, then roll back/);

    const tx = await client.rollback({ discardStaged: true });
    const outcome = await tx.done;
    expect(outcome.ok).toBe(true);
    expect(client.state.staged).toBeUndefined();
    expect(client.state.pending?.version).toBe(OLD.version);
    expect(client.state.deployments.map((d) => d.version)).toEqual([OLD.version, CURRENT.version]);

    const before = client.state.daemonName;
    await hostOf(world).reboot();
    const after = await stateWhere(client, (s) => s.daemon === 'running' && s.daemonName !== before && s.booted?.version === OLD.version);
    expect(after.rollback?.version).toBe(CURRENT.version);
    expect(after.pending).toBeUndefined();
  });
});

describe('rolling back a host with nothing staged', () => {
  let world: World;
  let client: HostClient;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    client = await connectHost({ busAddress: world.systemBus.address });
  });
  afterAll(async () => {
    await client.close();
    await world.stop();
  });

  it('makes the previous release the next boot, and boots it after a restart', async () => {
    const rollback = client.state.rollback;
    const tx = await client.rollback();
    const outcome = await tx.done;
    expect(outcome.ok).toBe(true);
    expect(outcome.messages).toEqual([`Moving '${rollback?.checksum}.${rollback?.serial}' to be first deployment`]);
    expect(client.state.pending?.id).toBe(rollback?.id);
    expect(client.state.booted?.version).toBe(CURRENT.version);

    await hostOf(world).reboot();
    const state = await stateWhere(client, (s) => s.booted?.version === OLD.version);
    expect(state.rollback?.version).toBe(CURRENT.version);
  });
});
