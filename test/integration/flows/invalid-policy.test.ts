// An administrator's slip in /etc/containers/policy.json breaks every image pull on the host. Whatever
// else is true (here: a signed update waits), the first thing the user reads is that, with the line and
// column the doctor gives and the fix; staging refuses up front instead of failing vaguely in rpm-ostree.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UiBackend } from '../../../main/flows/ui-backend.ts';
import { startWorld, type World } from '../../world/world.ts';
import { runCli, runCliJson } from '../../support/cli.ts';
import { hostOf } from '../../support/host.ts';

let world: World;
let policyFile: string;
let where: string;

beforeAll(async () => {
  world = await startWorld({ scenario: 'unverified-nvidia' });
  policyFile = join(world.etcRoot, 'containers', 'policy.json');
  // A missing comma between two rules, as a hand edit leaves it.
  const text = await readFile(policyFile, 'utf8');
  const broken = text.replace(/([\]}])\s*,(\s*")/, '$1$2');
  expect(broken).not.toBe(text);
  await writeFile(policyFile, broken);
});
afterAll(async () => {
  await world.stop();
});

describe('an invalid containers-policy.json', () => {
  it('the doctor names the file, line and column and the fix', async () => {
    const doctor = await runCli(world, ['doctor']);
    expect(doctor.code).toBe(3);
    where = /line (\d+), column (\d+)/.exec(doctor.stdout)?.[0] ?? '';
    expect(where, doctor.stdout).not.toBe('');
  });

  it('is the headline of status, in the same words as the doctor, and status exits 3', async () => {
    const status = await runCli(world, ['status']);
    expect(status.code, status.stderr).toBe(3);
    const [first, second] = status.stdout.split('\n');
    expect(first).toBe("Health: The host's signature policy does not load: every image download fails until it is fixed");
    expect(second).toContain(`policy.json, ${where}`);
    expect(status.stdout).not.toMatch(/Signed update available/);
    // Said once, not again as a notice under the deployments.
    expect(status.stdout.split(where).length - 1).toBe(1);
    const json = await runCliJson<{ health: string; headline: string; detail: string }>(world, ['status']);
    expect(json.json).toMatchObject({ health: 'needs-attention', detail: expect.stringContaining(where) as string });
  });

  it('check says it and exits 3; check --stage refuses before rpm-ostree tries, and stages nothing', async () => {
    const check = await runCli(world, ['check']);
    expect(check.code, check.stderr).toBe(3);
    expect(check.stdout).toMatch(/^! The host's signature policy does not load: every image download fails until it is fixed: /m);
    expect(check.stdout).toContain(where);
    const staged = await runCliJson<{ ok: boolean; code: string; message: string; status: { health: string } }>(world, ['check', '--stage']);
    expect(staged.code).toBe(3);
    expect(staged.json).toMatchObject({ ok: false, code: 'policy-invalid', status: { health: 'needs-attention' } });
    expect(staged.json.message).toMatch(/^Not staged: rpm-ostree cannot download any image while the signature policy does not load\./);
    expect(staged.json.message).toContain(where);
    expect((await hostOf(world).dump()).deployments.some((d) => d.staged)).toBe(false);
  });

  it('the app leads with it and offers the doctor first, not staging', async () => {
    const backend = await UiBackend.start({ env: world.processEnv(), firstCheckAfterMs: 60_000 });
    try {
      let snapshot = backend.snapshot();
      for (let i = 0; i < 200 && (snapshot.health === 'checking' || snapshot.headline.startsWith('Reading')); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        snapshot = backend.snapshot();
      }
      expect(snapshot.health).toBe('needs-attention');
      expect(snapshot.detail).toContain(where);
      expect(snapshot.actions[0]).toBe('doctor');
      expect(snapshot.actions).not.toContain('stage-update');
    } finally {
      await backend.close();
    }
  });
});
