// Host-wide automatic updates in the world: turned on through the privileged helper (the rpm-ostreed.conf
// change shown as a diff, backed up), then the service's run as its unit runs it, as root with no user
// session, against a newer build the publisher signed and against a forked build an attacker pushed.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runPolicyHelper } from '../../../main/policy/helper-client.ts';
import { FORKED_VERSION, NEWER } from '../../world/catalog.ts';
import { startWorld, type World } from '../../world/world.ts';
import { runCli, runCliJson, type ProcessRun } from '../../support/cli.ts';
import { hostOf } from '../../support/host.ts';

const NVIDIA = 'acme/vespera-nvidia';
let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/** A world whose host follows vespera-nvidia, app-enforced as an image built with image-setup would be. */
async function appEnforcedWorld(): Promise<World> {
  world = await startWorld({ scenario: 'unverified-nvidia' });
  const setup = await runCli(world, ['image-setup', '--root', world.root, '--family', `${world.registry.host}/${NVIDIA}`]);
  expect(setup.code, setup.stderr).toBe(0);
  return world;
}

/**
 * `vespera-updates automatic-updates run` with the environment its unit gives it: no session bus, no
 * display, no runtime dir, root's state under var/lib; a pkexec on PATH that records being called.
 */
async function runAsService(w: World): Promise<ProcessRun & { pkexecCalled: boolean }> {
  const bin = join(w.root, 'service-bin');
  mkdirSync(bin, { recursive: true });
  const marker = join(w.root, 'pkexec-called');
  writeFileSync(join(bin, 'pkexec'), `#!/bin/sh\ntouch '${marker}'\nexit 127\n`, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${w.env.PATH ?? '/usr/bin:/bin'}`,
    DBUS_SYSTEM_BUS_ADDRESS: w.systemBus.address,
    VESPERA_UPDATES_CONFIG: w.configPath,
    XDG_STATE_HOME: join(w.root, 'var/lib'),
    XDG_CACHE_HOME: join(w.root, 'var/cache'),
    HOME: join(w.root, 'var/lib/vespera-updates'),
    LANG: 'C.UTF-8',
  };
  const run = await runCli(w, ['automatic-updates', 'run'], { env: { ...env, DBUS_SESSION_BUS_ADDRESS: undefined, XDG_RUNTIME_DIR: undefined, DISPLAY: undefined, XDG_CONFIG_HOME: undefined, XDG_DATA_HOME: undefined } });
  return { ...run, pkexecCalled: existsSync(marker) };
}

describe('automatic-updates on and off, through the privileged helper', () => {
  it("shows rpm-ostree's policy change as a diff, keeps a backup, and puts it back when turned off", async () => {
    const w = await appEnforcedWorld();
    const conf = join(w.etcRoot, 'rpm-ostreed.conf');
    writeFileSync(conf, '# rpm-ostreed.conf\n[Daemon]\nAutomaticUpdatePolicy=stage\n#IdleExitTimeout=60\n');
    const on = await runCli(w, ['automatic-updates', 'on', '--yes']);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stderr).toContain('--- a/etc/rpm-ostreed.conf');
    expect(on.stderr).toMatch(/^-AutomaticUpdatePolicy=stage$/m);
    expect(on.stderr).toMatch(/^\+AutomaticUpdatePolicy=check$/m);
    expect(on.stdout).toMatch(/Automatic updates are on.*backup (\S+)/);
    expect(readFileSync(conf, 'utf8')).toBe('# rpm-ostreed.conf\n[Daemon]\nAutomaticUpdatePolicy=check\n#IdleExitTimeout=60\n');
    const backups = await runCliJson<Array<{ files: Array<{ hostPath: string }> }>>(w, ['policy', 'restore']);
    expect(backups.json[0]?.files.map((f) => f.hostPath).sort()).toEqual(['/etc/rpm-ostreed.conf', '/etc/vespera-updates/automatic-updates.json']);
    const status = await runCliJson<{ enabled: boolean; rpmOstreedPolicy: string }>(w, ['automatic-updates', 'status']);
    expect(status.json).toMatchObject({ enabled: true, rpmOstreedPolicy: 'check' });

    const off = await runCli(w, ['automatic-updates', 'off', '--yes']);
    expect(off.code, off.stderr).toBe(0);
    expect(readFileSync(conf, 'utf8')).toContain('AutomaticUpdatePolicy=stage');
    expect(existsSync(join(w.etcRoot, 'vespera-updates/automatic-updates.json'))).toBe(false);
  });

  it('the helper refuses when the files changed after the change was shown, and changes nothing', async () => {
    const w = await appEnforcedWorld();
    const conf = join(w.etcRoot, 'rpm-ostreed.conf');
    writeFileSync(conf, '[Daemon]\nAutomaticUpdatePolicy=stage\n');
    const { planAutomaticUpdates } = await import('../../../main/flows/automatic-updates.ts');
    const { policyPaths } = await import('../../../main/policy/host-files.ts');
    const shown = await planAutomaticUpdates(policyPaths(w.etcRoot), true, new Date());
    // Someone edits the file between the review and the confirmation.
    writeFileSync(conf, '[Daemon]\nAutomaticUpdatePolicy=apply\n');
    await expect(runPolicyHelper({ world: { root: w.root, etcRoot: w.etcRoot } }, 'automatic-updates', { args: ['on', '--expect', shown.expect] })).rejects.toMatchObject({ code: 'helper-stale-plan' });
    expect(readFileSync(conf, 'utf8')).toBe('[Daemon]\nAutomaticUpdatePolicy=apply\n');
    expect(existsSync(join(w.etcRoot, 'vespera-updates/automatic-updates.json'))).toBe(false);
  });
});

describe('the automatic-updates service, run as its unit runs it', () => {
  it('stages a verified newer build finalization-locked, with no user session and no polkit prompt', async () => {
    const w = await appEnforcedWorld();
    expect((await runCli(w, ['automatic-updates', 'on', '--yes'])).code).toBe(0);
    const run = await runAsService(w);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^<5>Staged the verified update ${NEWER.version} \\(sha256:[0-9a-f]{64}\\), finalization locked`, 'm'));
    expect(run.pkexecCalled).toBe(false);
    const state = await hostOf(w).dump();
    const staged = state.deployments.find((d) => d.staged);
    expect(staged).toMatchObject({ version: NEWER.version, locked: true });
    // Nothing rebooted, and the next person to look sees it ready, held for them.
    expect(state.reboots).toEqual([]);
    const status = await runCliJson<{ health: string; notices: Array<{ severity: string }> }>(w, ['status']);
    expect(status.json.notices.filter((n) => n.severity === 'critical')).toEqual([]);
  });

  it('refuses a forked build pushed under latest, loudly in the journal and in status, and stages nothing', async () => {
    const w = await appEnforcedWorld();
    expect((await runCli(w, ['automatic-updates', 'on', '--yes'])).code).toBe(0);
    // The attacker has push access: latest now names a build another repository's workflow signed.
    await w.images.retag(NVIDIA, 'latest', FORKED_VERSION);
    const run = await runAsService(w);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^<3>Refused the update ${FORKED_VERSION} of ${w.registry.host}/${NVIDIA}:latest \\(sha256:[0-9a-f]{64}\\): it failed its signature check \\(identity-mismatch\\).*Nothing was staged`, 'm'));
    expect(run.pkexecCalled).toBe(false);
    const state = await hostOf(w).dump();
    expect(state.deployments.some((d) => d.staged)).toBe(false);
    // Whoever looks next, as a user, is told.
    const status = await runCli(w, ['status']);
    expect(status.stdout).toMatch(new RegExp(`^! Automatic updates \\(.*\\): Refused the update ${FORKED_VERSION}`, 'm'));
    const json = await runCliJson<{ notices: Array<{ code: string; severity: string }> }>(w, ['status']);
    expect(json.json.notices).toContainEqual(expect.objectContaining({ code: 'automatic-update-refused', severity: 'critical' }));
  });

  it('with a policy.json an edit broke, stages nothing and says why in the doctor\'s words (file, line, column)', async () => {
    const w = await appEnforcedWorld();
    expect((await runCli(w, ['automatic-updates', 'on', '--yes'])).code).toBe(0);
    const policyFile = join(w.etcRoot, 'containers', 'policy.json');
    writeFileSync(policyFile, readFileSync(policyFile, 'utf8').replace(/([\]}])\s*,(\s*")/, '$1$2'));
    const run = await runAsService(w);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/^<3>The host's signature policy does not load, so every image download fails until it is fixed: \S*policy\.json, line \d+, column \d+.*Nothing was staged\.$/m);
    expect(run.stderr).not.toMatch(/vespera-updates migrate/);
    expect((await hostOf(w).dump()).deployments.some((d) => d.staged)).toBe(false);
  });

  it('does nothing while turned off, and says so', async () => {
    const w = await appEnforcedWorld();
    const run = await runAsService(w);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^<6>Automatic updates are off/m);
    expect((await hostOf(w).dump()).deployments.some((d) => d.staged)).toBe(false);
  });
});
