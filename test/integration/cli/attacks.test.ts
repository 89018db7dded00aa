// What an attacker with push access to the registry tries against a host, through the command line a
// person uses: a variant swapped in under latest, latest moved back to the rollback build, a tag held
// still. None is offered as an update; each is said with its evidence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport, StatusSnapshot } from '../../../preload/contract.ts';
import { runCli, runCliJson } from '../../support/cli.ts';
import { CURRENT, OLD, WORLD_NOW } from '../../world/catalog.ts';
import { copyImageWithSignatures } from '../../world/registry-copy.ts';
import { startWorld, type World } from '../../world/world.ts';

const NVIDIA = 'acme/vespera-nvidia';
let world: World;

beforeAll(async () => {
  // Booted on the current vespera-nvidia build, the older one kept (pinned) for rollback.
  world = await startWorld({ scenario: 'pinned-rollback' });
});
afterAll(async () => {
  await world.stop();
});

/** What `latest` named before a test moved it, put back after. */
async function restoreLatest(): Promise<void> {
  await world.images.pusher.pushManifest(NVIDIA, 'latest', world.images.get(NVIDIA, CURRENT.version).image.top);
}

async function setClock(iso: string): Promise<void> {
  (world.config.world as Record<string, unknown>).clock = iso;
  await world.writeConfig();
}

type CheckJson = { ok: boolean; code?: string; message: string; status: StatusSnapshot };

describe('an attacker with push access, against vespera-updates check and status', () => {
  it('copies acme/vespera:cosign3 and its referrer into vespera-nvidia under latest: refused, never offered', async () => {
    await copyImageWithSignatures(world.registry.url, world.images.pusher, { repository: 'acme/vespera', reference: 'cosign3' }, { repository: NVIDIA, tag: 'latest' });
    try {
      const { code, json } = await runCliJson<CheckJson>(world, ['check']);
      expect(code).toBe(3);
      expect(json).toMatchObject({ ok: false, code: 'update-not-verified', status: { health: 'needs-attention', update: { state: 'failed', signature: { failure: { code: 'repository-mismatch' } } } } });
      expect(json.message).not.toMatch(/A signed update is available/);
      expect(json.message).toMatch(/its own signed labels say it is "vespera"/);
      const staged = await runCliJson<CheckJson>(world, ['check', '--stage']);
      expect(staged.json.status.deployments.some((d) => d.role === 'staged')).toBe(false);
    } finally {
      await restoreLatest();
    }
  });

  it("moves latest back to the host's own rollback build: never offered, reported with both dates and digests", async () => {
    const old = world.images.get(NVIDIA, OLD.version);
    await world.images.pusher.pushManifest(NVIDIA, 'latest', old.image.top);
    try {
      const run = await runCli(world, ['check']);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stdout).not.toMatch(/signed update is available/i);
      expect(run.stdout).toMatch(/latest now names an older build than the one running, which is how a rollback attack looks: it is this computer’s rollback deployment\./);
      expect(run.stdout).toContain(`Offered: ${OLD.version} built ${OLD.created} (${old.platformDigests.amd64 ?? ''})`);
      expect(run.stdout).toContain(`Running: ${CURRENT.version} built ${CURRENT.created} (${world.images.get(NVIDIA, CURRENT.version).platformDigests.amd64 ?? ''})`);
      const staged = await runCliJson<CheckJson>(world, ['check', '--stage']);
      expect(staged.json).toMatchObject({ ok: false, code: 'tag-downgrade' });
      expect(staged.json.status.update).toBeNull();
      expect(staged.json.status.deployments.some((d) => d.role === 'staged')).toBe(false);
      // status says it too, without being asked to check.
      const status = await runCli(world, ['status']);
      expect(status.code, status.stderr).toBe(3);
      expect(status.stdout).toMatch(/^! .*latest now names an older build than the one running/m);
    } finally {
      await restoreLatest();
    }
  });

  it('holds latest still: status and the doctor report it once the clock passes the limit, with the build date', async () => {
    try {
      // The world starts the day after its newest build: nothing to report.
      expect(WORLD_NOW < '2026-12-15').toBe(true);
      await setClock('2026-12-14T04:00:00Z');
      const fresh = await runCliJson<StatusSnapshot & { notices: StatusSnapshot['notices'] }>(world, ['status']);
      expect(fresh.json.notices.map((n) => n.code)).not.toContain('tag-frozen');
      const before = await runCliJson<DoctorReport>(world, ['doctor']);
      expect(before.json.checks.find((c) => c.id === 'tag-moves')).toMatchObject({ status: 'pass' });

      await setClock('2026-12-16T12:00:00Z');
      const status = await runCli(world, ['status']);
      expect(status.code, status.stderr).toBe(3); // this host boots unverified images: attention either way
      expect(status.stdout).toMatch(new RegExp(`^! .*acme/vespera-nvidia:latest has not moved for 31 days: its newest build, ${CURRENT.version.replaceAll('.', '\\.')}, was built 2026-11-15T04:00:00Z \\(the limit is 30 days\\)`, 'm'));
      const doctor = await runCliJson<DoctorReport>(world, ['doctor']);
      expect(doctor.code).toBe(3);
      const check = doctor.json.checks.find((c) => c.id === 'tag-moves');
      expect(check).toMatchObject({ status: 'fail', title: 'The tag still moves' });
      expect(check?.summary).toMatch(/built 2026-11-15T04:00:00Z/);
      expect(check?.fix?.text).toMatch(/updates\.max-tag-age/);
    } finally {
      await setClock(WORLD_NOW);
    }
  });
});
