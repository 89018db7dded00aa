// Guided rollback through the command line, read back from the stand-in daemon: a staged update
// blocks it until the user agrees to discard it; the rollback then makes the previous system next.

import { afterEach, describe, expect, it } from 'vitest';
import { CURRENT, NEWER, OLD } from '../../world/catalog.ts';
import { startWorld, type World } from '../../world/world.ts';
import { runCliJson } from '../../support/cli.ts';
import { hostOf } from '../../support/host.ts';

interface RollbackJson {
  ok: boolean;
  code?: string;
  message: string;
  preview: {
    booted: { version?: string; signature: { status: string } };
    target?: { version?: string; digest?: string; signature: { status: string } };
    blockedByStaged?: { version?: string };
  };
}

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

describe('vespera-updates rollback', () => {
  it('asks for the staged update to be discarded first, and rolls back once it is (--yes agrees to both, as its help says)', async () => {
    world = await startWorld({ scenario: 'staged-update' });
    const blocked = await runCliJson<RollbackJson>(world, ['rollback']);
    expect(blocked.code).toBe(4);
    expect(blocked.json).toMatchObject({ ok: false, code: 'not-confirmed', preview: { blockedByStaged: { version: NEWER.version } } });
    expect(blocked.json.message).toMatch(/--discard-staged or --yes/);
    // Nothing changed.
    expect((await hostOf(world).dump()).deployments.find((d) => d.staged)?.version).toBe(NEWER.version);

    const done = await runCliJson<RollbackJson>(world, ['rollback', '--yes']);
    expect(done.code, done.json.message).toBe(0);
    expect(done.json.preview.target).toMatchObject({ version: OLD.version, signature: { status: 'verified' } });
    const state = await hostOf(world).dump();
    expect(state.deployments.some((d) => d.staged)).toBe(false);
    expect(state.deployments[0]?.version).toBe(OLD.version);
    expect(state.deployments.find((d) => d.booted)?.version).toBe(CURRENT.version);
    expect((await hostOf(world).reboots()).logind).toEqual([]);
  });

  it('previews booted against the target with the signature verified now, and restarts only with --reboot', async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
    const done = await runCliJson<RollbackJson & { rebooted: boolean }>(world, ['rollback', '--yes', '--reboot']);
    expect(done.code, done.json.message).toBe(0);
    expect(done.json.preview).toMatchObject({ booted: { version: CURRENT.version, signature: { status: 'verified' } }, target: { version: OLD.version, signature: { status: 'verified' } } });
    expect(done.json.rebooted).toBe(true);
    expect((await hostOf(world).reboots()).logind).toHaveLength(1);
  });
});
