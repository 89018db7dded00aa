// What the next boot changes, through the command line on the world: rpm-ostree's package diff with the
// headline first, the commit and build run the test Fulcio put in the certificates, the same view in
// `check --json`, the rollback preview against a pinned target, a key-only build, and refusals.

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangesView } from '../../../preload/contract.ts';
import { runCli, runCliJson } from '../../support/cli.ts';
import { hostOf } from '../../support/host.ts';
import { CURRENT, KEY_ONLY_VERSION, NEWER, OLD, SOURCE_REPOSITORY } from '../../world/catalog.ts';
import { runOfCommit } from '../../world/sigstore/fulcio.ts';
import { releaseCommit } from '../../world/sigstore/part.ts';
import { startWorld, type World } from '../../world/world.ts';

const NVIDIA = 'acme/vespera-nvidia';

async function ids(world: World): Promise<{ booted: string; staged?: string; rollback?: string }> {
  const state = await hostOf(world).dump();
  const booted = state.deployments.find((d) => d.booted)?.id ?? '';
  const staged = state.deployments.find((d) => d.staged)?.id;
  const after = state.deployments.slice(state.deployments.findIndex((d) => d.booted) + 1)[0]?.id;
  return { booted, ...(staged ? { staged } : {}), ...(after ? { rollback: after } : {}) };
}

/** The automatic timer stages what `latest` names now; resolves once the stand-in has finished. */
async function timerStages(world: World): Promise<void> {
  const host = hostOf(world);
  await host.triggerAutomaticUpdate('stage');
  for (let i = 0; i < 600; i++) {
    if ((await host.dump()).transaction === null) return;
    await sleep(50);
  }
  throw new Error('the automatic update did not finish');
}

describe('vespera-updates changes on a staged update', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'staged-update' });
  });
  afterAll(async () => {
    await world.stop();
  });

  it('lists booted against the staged update, kernel and NVIDIA first, with the commits and run the certificates name', async () => {
    const { code, json } = await runCliJson<ChangesView>(world, ['changes']);
    expect(code).toBe(0);
    const { booted, staged } = await ids(world);
    expect(json.from).toMatchObject({ deploymentId: booted, version: CURRENT.version });
    expect(json.to).toMatchObject({ deploymentId: staged, version: NEWER.version });
    expect(json.packages.status).toBe('listed');
    expect(json.packages.changes.slice(0, 6).map((c) => `${c.headline} ${c.name}`)).toEqual([
      'kernel kernel',
      'kernel kernel-core',
      'kernel kernel-modules',
      'kernel kernel-modules-core',
      'kernel kernel-modules-extra',
      'NVIDIA nvidia-driver',
    ]);
    expect(json.packages.changes[0]).toEqual({ name: 'kernel', change: 'upgraded', from: { evr: '6.17.8-300.fc42', arch: 'x86_64' }, to: { evr: '6.17.9-300.fc42', arch: 'x86_64' }, headline: 'kernel' });
    expect(json.packages.summary).toBe('kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 20 more');
    expect(json.packages.counts).toEqual({ added: 1, removed: 1, upgraded: 30, downgraded: 2 });
    expect(json.packages.changes.filter((c) => c.change !== 'upgraded').map((c) => `${c.change} ${c.name}`)).toEqual([
      'downgraded pipewire',
      'downgraded pipewire-libs',
      'added fastfetch',
      'removed htop',
    ]);

    const commit = releaseCommit(SOURCE_REPOSITORY, NEWER.version);
    const running = releaseCommit(SOURCE_REPOSITORY, CURRENT.version);
    expect(json.source).toMatchObject({
      status: 'known',
      summary: `built from commit ${commit.slice(0, 7)} (running: ${running.slice(0, 7)})`,
      repository: SOURCE_REPOSITORY,
      commit,
      runningCommit: running,
      compareUrl: `${SOURCE_REPOSITORY}/compare/${running}...${commit}`,
      runUrl: `${SOURCE_REPOSITORY}/actions/runs/${runOfCommit(commit).id}/attempts/1`,
    });
    expect(json.source.message).toContain('signing certificates');

    // check --json carries the same view in its status; text output says the same in words.
    const check = await runCliJson<{ status: { update?: { changes?: ChangesView } } }>(world, ['check']);
    expect(check.json.status.update?.changes).toEqual(json);
    const text = await runCli(world, ['changes']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`From ${CURRENT.version} (running now) to ${NEWER.version} (staged for the next boot)`);
    expect(text.stdout).toContain('kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 20 more');
    expect(text.stdout).toMatch(/upgraded {3}nvidia-driver +3:580\.95\.05-1\.fc42 → 3:580\.105\.08-1\.fc42/);
    expect(text.stdout).toContain(`compare: ${SOURCE_REPOSITORY}/compare/${running}...${commit}`);
  });

  it('compares with the rollback on request, and refuses a deployment the host does not have', async () => {
    const { code, json } = await runCliJson<ChangesView>(world, ['changes', '--to', 'rollback']);
    expect(code).toBe(0);
    expect(json.to).toMatchObject({ deploymentId: (await ids(world)).rollback, version: OLD.version });
    expect(json.packages.changes[0]).toMatchObject({ name: 'kernel', change: 'downgraded', to: { evr: '6.17.7-300.fc42' } });
    const missing = await runCli(world, ['changes', '--to', `fedora-${'0'.repeat(64)}.0`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no deployment "fedora-0+\.0" on this host/);
  });

  it('says why the packages cannot be shown when polkit refuses, and still names the source', async () => {
    await hostOf(world).setFaults({ deny: ['GetDeploymentsRpmDiff'] });
    try {
      const { code, json } = await runCliJson<ChangesView>(world, ['changes']);
      expect(code).toBe(1);
      expect(json.packages).toMatchObject({ status: 'unavailable', changes: [] });
      expect(json.packages.message).toContain('org.projectatomic.rpmostree1.repo-refresh');
      expect(json.source.status).toBe('known');
    } finally {
      await hostOf(world).clearFaults();
    }
  });
});

describe('vespera-updates changes before staging, and for a key-only build', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'unverified-nvidia' });
  });
  afterAll(async () => {
    await world.stop();
  });

  it('says package changes come once the update is staged, and still names its source', async () => {
    const { code, json } = await runCliJson<ChangesView>(world, ['changes']);
    expect(code).toBe(0);
    expect(json.to).toEqual({ version: NEWER.version, digest: world.images.get(NVIDIA, NEWER.version).platformDigests.amd64 });
    expect(json.packages).toMatchObject({ status: 'not-staged', changes: [] });
    expect(json.packages.message).toMatch(/^Package changes appear once the update is staged/);
    expect(json.source).toMatchObject({ status: 'known', commit: releaseCommit(SOURCE_REPOSITORY, NEWER.version) });
  });

  it('shows that a build signed only with the publisher key carries no source information', async () => {
    await world.images.retag(NVIDIA, 'latest', KEY_ONLY_VERSION);
    await timerStages(world);
    const { code, json } = await runCliJson<ChangesView>(world, ['changes']);
    expect(code).toBe(0);
    expect(json.to).toMatchObject({ version: KEY_ONLY_VERSION });
    expect(json.packages.status).toBe('listed');
    expect(json.packages.changes.map((c) => c.name)).toEqual(['vespera-release']);
    expect(json.source).toEqual({
      status: 'key-only',
      summary: 'no source information: signed with a key only',
      message: expect.stringContaining('A key signature carries no source repository, commit or build run') as string,
    });
    const text = await runCli(world, ['changes']);
    expect(text.stdout).toContain('no source information: signed with a key only');
  });
});

describe('the rollback preview on a pinned rollback', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ scenario: 'pinned-rollback' });
  });
  afterAll(async () => {
    await world.stop();
  });

  it('runs the diff booted against the rollback target, in rollback --json and in words', async () => {
    const before = await hostOf(world).dump();
    const { code, json } = await runCliJson<{ ok: boolean; code: string; preview: { changes?: ChangesView } }>(world, ['rollback']);
    expect(code).toBe(4); // not confirmed: not at a terminal and no --yes
    const { booted, rollback } = await ids(world);
    expect(before.deployments.find((d) => d.id === rollback)?.pinned).toBe(true);
    const changes = json.preview.changes;
    expect(changes?.from).toMatchObject({ deploymentId: booted, version: CURRENT.version });
    expect(changes?.to).toMatchObject({ deploymentId: rollback, version: OLD.version });
    expect(changes?.packages.summary).toBe('kernel 6.17.8 → 6.17.7, NVIDIA 580.95.05 → 580.82.09, 15 more');
    expect(changes?.source).toMatchObject({ status: 'known', commit: releaseCommit(SOURCE_REPOSITORY, OLD.version), runningCommit: releaseCommit(SOURCE_REPOSITORY, CURRENT.version) });
    // Any pinned deployment by its id: the same comparison.
    const byId = await runCliJson<ChangesView>(world, ['changes', '--to', rollback ?? '']);
    expect(byId.code).toBe(0);
    expect(byId.json.packages).toEqual(changes?.packages);
    const text = await runCli(world, ['rollback']);
    expect(text.stdout).toContain('kernel 6.17.8 → 6.17.7, NVIDIA 580.95.05 → 580.82.09, 15 more');
    expect(text.stdout).toMatch(/downgraded kernel +6\.17\.8-300\.fc42 → 6\.17\.7-300\.fc42/);
    // A look only: nothing rolled back.
    expect((await hostOf(world).dump()).deployments.map((d) => d.id)).toEqual(before.deployments.map((d) => d.id));
  });

  it('says when nothing changes, and that it could not look (not that nothing changes) with the registry down', async () => {
    const same = await runCliJson<{ ok: boolean; code: string; message: string }>(world, ['changes']);
    expect(same.code).toBe(5);
    expect(same.json).toMatchObject({ ok: false, code: 'nothing-to-compare' });
    // Nor is there anything to restart into: apply has nothing to do (5), and does not restart.
    const apply = await runCliJson<{ ok: boolean; code: string }>(world, ['apply', '--yes']);
    expect({ code: apply.code, json: apply.json }).toMatchObject({ code: 5, json: { ok: false, code: 'nothing-staged' } });
    expect((await hostOf(world).dump()).reboots).toEqual([]);
    await world.registry.process.stop();
    const offline = await runCliJson<{ ok: boolean; code: string; message: string }>(world, ['changes']);
    expect(offline.code).toBe(1);
    expect(offline.json).toMatchObject({ ok: false, code: 'network' });
    expect(offline.json.message).toMatch(/^Could not look for an update: .+ The next boot starts the system running now\.$/);
    // The rollback's packages come from the host alone; its source is not known yet, which is not "failed".
    const back = await runCliJson<ChangesView>(world, ['changes', '--to', 'rollback']);
    expect(back.code).toBe(0);
    expect(back.json.packages.status).toBe('listed');
    expect(back.json.source).toMatchObject({ status: 'unchecked', summary: 'source not known yet: its signature could not be checked' });
  });
});
