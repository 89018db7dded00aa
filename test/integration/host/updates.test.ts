// Updates end to end against the world's registry: checking, staging, following what the timer stages,
// app-enforced mode (deploy a digest finalization-locked, finalize), restarts, downgrades, pinning.

import { describe, expect, it } from 'vitest';
import { HostError } from '../../../main/host/index.ts';
import { CURRENT, NEWER, OLD } from '../../world/catalog.ts';
import { hostOf, hostPerTest, stateWhere } from '../../support/host.ts';

const NVIDIA = 'acme/vespera-nvidia';

describe('updates', () => {
  const open = hostPerTest();

  it('finds a newer image with a check, stages it, and boots it after a restart', async () => {
    const { world, client } = await open('unverified-nvidia');
    expect(client.state.cachedUpdate).toBeUndefined();
    await world.images.retag(NVIDIA, 'latest', NEWER.version);

    const check = await (await client.checkForUpdate()).done;
    expect(check.ok).toBe(true);
    expect(check.messages[0]).toMatch(/^Pulling manifest: ostree-unverified-registry:/);
    expect(check.created).toEqual([]);
    expect(client.state.cachedUpdate).toMatchObject({ version: NEWER.version, manifestDiff: { added: 4 } });

    const stage = await (await client.stageUpdate()).done;
    expect(stage.ok).toBe(true);
    const newer = world.images.get(NVIDIA, NEWER.version);
    expect(client.state.staged).toMatchObject({ version: NEWER.version, imageDigest: newer.platformDigests.amd64, finalizationLocked: false });
    expect(client.state.cachedUpdate).toMatchObject({ version: NEWER.version, stagedDeploymentId: client.state.staged?.id });

    await hostOf(world).reboot();
    const state = await stateWhere(client, (s) => s.booted?.version === NEWER.version);
    expect(state.deployments.map((d) => d.version)).toEqual([NEWER.version, CURRENT.version]);
    expect(state.rollback?.version).toBe(CURRENT.version);
    expect(state.cachedUpdate).toBeUndefined();
  });

  it('follows an update the automatic timer is staging', async () => {
    const { world, client } = await open('cached-update');
    const host = hostOf(world);
    await host.setFaults({ holdTransactions: true });
    const { enabled } = await host.triggerAutomaticUpdate('stage');
    expect(enabled).toBe(true);
    const busy = await stateWhere(client, (s) => s.activeTransaction !== undefined);
    expect(busy.activeTransaction).toMatchObject({ method: 'AutomaticUpdateTrigger', byThisClient: false });

    const tx = await client.followActiveTransaction();
    expect(tx?.started).toBe(false);
    await host.release();
    await host.clearFaults();
    const outcome = await tx?.done;
    expect(outcome?.ok).toBe(true);
    expect(client.state.staged?.version).toBe(NEWER.version);
    expect(outcome?.created.map((d) => d.version)).toEqual([NEWER.version]);
  });

  it('deploys a verified digest finalization-locked: an ordinary restart keeps the old system', async () => {
    const { world, client } = await open('unverified-nvidia');
    const host = hostOf(world);
    const newer = world.images.get(NVIDIA, NEWER.version);

    const outcome = await (await client.deployDigest(newer.digest, { lockFinalization: true })).done;
    expect(outcome.ok).toBe(true);
    // Asked for the index digest; rpm-ostree deploys (and reports) this machine's platform manifest.
    expect(client.state.staged).toMatchObject({ finalizationLocked: true, version: NEWER.version, imageDigest: newer.platformDigests.amd64 });
    expect(client.state.staged?.origin).toBe(client.state.booted?.origin);

    await host.reboot();
    const after = await stateWhere(client, (s) => s.daemon === 'running' && s.staged === undefined);
    expect(after.booted?.version).toBe(CURRENT.version);
    expect(after.deployments.map((d) => d.version)).toEqual([CURRENT.version, OLD.version]);
  });

  it('finalizes a locked deployment: rpm-ostree asks for the restart, the next boot uses it', async () => {
    const { world, client } = await open('unverified-nvidia');
    const host = hostOf(world);
    const newer = world.images.get(NVIDIA, NEWER.version);
    await (await client.deployDigest(newer.digest, { lockFinalization: true })).done;
    const staged = client.state.staged;

    const finalize = await (await client.finalizeDeployment()).done;
    expect(finalize.ok).toBe(true);
    expect(client.state.staged?.finalizationLocked).toBe(false);
    const dump = await host.dump();
    expect(dump.reboots).toEqual([expect.objectContaining({ source: 'rpm-ostreed', reason: 'FinalizeDeployment', checksum: staged?.checksum })]);
    expect(dump.rebooting).toBe(true);
    // Once a reboot is under way the daemon takes no new work.
    const refused = await client.stageUpdate().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(HostError);
    expect((refused as HostError).code).toBe('rebooting');

    await host.reboot();
    const booted = await stateWhere(client, (s) => s.booted?.version === NEWER.version);
    expect(booted.booted?.imageDigest).toBe(newer.platformDigests.amd64);
  });

  it('restarts the machine through logind', async () => {
    const { world, client } = await open('staged-update');
    await client.reboot();
    const reboots = await hostOf(world).logindReboots();
    expect(reboots).toHaveLength(1);
    expect(reboots[0]).toMatchObject({ source: 'logind', interactive: true, caller: expect.stringMatching(/^:1\./) as string });
  });

  it('refuses to go back to an older image unless downgrades are allowed', async () => {
    const { world, client } = await open('unverified-nvidia');
    await world.images.retag(NVIDIA, 'latest', OLD.version);
    const refused = await (await client.stageUpdate()).done;
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.detail).toMatch(/chronologically older.*use --allow-downgrade to permit/);

    const allowed = await (await client.stageUpdate({ allowDowngrade: true })).done;
    expect(allowed.ok).toBe(true);
    expect(client.state.staged?.version).toBe(OLD.version);
  });

  it('downloads an update without staging it, then stages it from what is already there', async () => {
    const { world, client } = await open('unverified-nvidia');
    await world.images.retag(NVIDIA, 'latest', NEWER.version);
    const download = await (await client.stageUpdate({ downloadOnly: true })).done;
    expect(download.ok).toBe(true);
    expect(download.messages).toContain('Update downloaded.');
    expect(client.state.staged).toBeUndefined();

    const stage = await (await client.stageUpdate()).done;
    expect(stage.messages).toContain('layers already present: 4; layers needed: 0 (0 bytes)');
    expect(client.state.staged?.version).toBe(NEWER.version);
  });

  it('never removes a pinned deployment', async () => {
    const { world, client } = await open('pinned-rollback');
    const cleanup = await (await client.cleanup(['rollback-deploy'])).done;
    expect(cleanup.messages).toContain('Deployments unchanged.');
    expect(client.state.rollback).toMatchObject({ version: OLD.version, pinned: true });

    await world.images.retag(NVIDIA, 'latest', NEWER.version);
    await (await client.stageUpdate()).done;
    await hostOf(world).reboot();
    const state = await stateWhere(client, (s) => s.booted?.version === NEWER.version);
    expect(state.deployments.map((d) => [d.version, d.pinned])).toEqual([
      [NEWER.version, false],
      [CURRENT.version, false],
      [OLD.version, true],
    ]);
  });
});
