// The whole app end to end, in Debian's Chromium through the real web bridge, on the test world: the
// real flows, host client, stand-in daemon, registry, test Sigstore, policy helper and notification
// server, on a machine that restarts when asked. Outcomes are read back from the stand-in daemon's
// state and the world's /etc.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { notificationsIn } from '../sim/notification-server.ts';
import { CURRENT, NEWER, OLD } from '../world/catalog.ts';
import { startWorldApp, type WorldApp } from '../world/app.ts';
import { hostOf } from '../support/host.ts';
import { VIEWPORTS, expectAccessible, expectNoSidewaysOverflow, newPage, saveScreenshot, useBrowser, watchPageProblems } from './support/browser.ts';
import { AppPage, expectText, expectVisible, occurrences } from './support/pages.ts';

const browser = useBrowser();
let running: WorldApp | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function openApp(scenario: string, viewport: { width: number; height: number } = VIEWPORTS.window): Promise<{ app: AppPage; world: WorldApp; problems: string[] }> {
  // The machine restarts when the app asks, as the demo's does.
  running = await startWorldApp({ scenario, firstCheckAfterMs: 60 * 60_000, followReboots: {} });
  const { context, page } = await newPage(browser.harness().browser, { viewport });
  browser.track(context, page);
  const problems = watchPageProblems(page);
  await page.goto(running.bridge.url);
  const app = new AppPage(page);
  await expectVisible(app.heading());
  return { app, world: running, problems };
}

describe('the app on the test world, through the web bridge', () => {
  it('migrates the unverified-nvidia host to the signed image with the wizard, then restarts into it', async () => {
    const { app, world, problems } = await openApp('unverified-nvidia');
    const registry = world.world.registry.host;
    await expectText(app.enforcementLine(), 'Not enforced: this host boots unverified images');
    const wizard = app.migration;
    await app.status.action('Switch to a signed image…').click();
    await wizard.expectStep('Preview');
    await wizard.waitForPreview();
    await expectText(wizard.mode(), 'Key-enforced');
    await expectText(wizard.root(), `ostree-image-signed:docker://${registry}/acme/vespera-nvidia:latest`);
    await expectText(wizard.policyFiles(), '/etc/containers/policy.json');
    await expectAccessible(app.page, 'migration preview on the world');
    await saveScreenshot(app.page, 'preview');

    await wizard.button('Continue').click();
    await wizard.expectStep('Confirm');
    await wizard.button('Switch to the signed image').click();
    await wizard.expectStep('Done', 30_000);
    await expectText(wizard.outcome(), 'The signed image is staged');
    await expectText(wizard.outcome(), 'the OS now refuses updates the publisher key did not sign');
    await expectAccessible(app.page, 'migration done on the world');
    await saveScreenshot(app.page, 'done');

    const state = await hostOf(world.world).dump();
    const staged = state.deployments.find((d) => d.staged);
    expect(staged?.refspec).toBe(`ostree-image-signed:docker://${registry}/acme/vespera-nvidia:latest`);
    expect(staged?.version).toBe(NEWER.version);
    const policy = readFileSync(join(world.world.etcRoot, 'containers', 'policy.json'), 'utf8');
    expect(policy).toContain('/etc/pki/containers/acme-vespera.pub');

    // Restart now: the machine reboots into the signed image, and the window, like the app, starts
    // afresh on the new boot, showing the host as it now is.
    await wizard.button('Restart now').click();
    await expectText(app.status.headline(), `Up to date and signed: ${NEWER.version}`, 90_000);
    expect(await app.currentView()).toBe('status');
    await expectText(app.enforcementLine(), 'Enforced by the OS (key acme-vespera.pub)');
    await expectText(app.status.deployment('Running now'), `ostree-image-signed:docker://${registry}/acme/vespera-nvidia:latest`);
    await saveScreenshot(app.page, 'after the restart');
    const booted = (await hostOf(world.world).dump()).deployments.find((d) => d.booted);
    expect(booted).toMatchObject({ version: NEWER.version, refspec: `ostree-image-signed:docker://${registry}/acme/vespera-nvidia:latest` });
    expect((await hostOf(world.world).reboots()).logind).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it('shows why a migration failed and leaves the host as it was', async () => {
    const { app, world, problems } = await openApp('unverified-nvidia');
    const policyFile = join(world.world.etcRoot, 'containers', 'policy.json');
    const before = readFileSync(policyFile);
    await hostOf(world.world).setFaults({ pullFailure: 'pinging container registry ghcr.io: dial tcp: i/o timeout' });
    const wizard = app.migration;
    await app.status.action('Switch to a signed image…').click();
    await wizard.waitForPreview();
    await wizard.button('Continue').click();
    await wizard.button('Switch to the signed image').click();
    await wizard.expectStep('Done', 30_000);
    await expectText(wizard.outcome(), 'The switch did not happen');
    await expectText(wizard.outcome().getByRole('alert'), 'i/o timeout');
    await expectText(wizard.hostState(), 'The host is exactly as it was before the migration.');
    await expectAccessible(app.page, 'failed migration on the world');
    await saveScreenshot(app.page, 'failed');

    expect(readFileSync(policyFile).equals(before)).toBe(true);
    const state = await hostOf(world.world).dump();
    expect(state.deployments.some((d) => d.staged)).toBe(false);
    expect(state.deployments.find((d) => d.booted)?.version).toBe(CURRENT.version);
    expect(problems).toEqual([]);
  });

  it('announces a signed update ready on the session bus; its Details button opens the update details', async () => {
    const { app, world, problems } = await openApp('staged-update');
    const server = notificationsIn(world.world);
    const [notice] = await server.waitForSent(1, 15_000);
    expect(notice?.summary).toBe('Signed update ready');
    expect(notice?.body).toContain(NEWER.version);
    expect(notice?.actions.map((a) => a.label)).toEqual(expect.arrayContaining(['Restart now', 'Details']));
    const details = notice?.actions.find((a) => a.label === 'Details');
    await server.press(notice?.id ?? 0, details?.key ?? 'details');

    await expect.poll(() => app.currentView(), { timeout: 10_000 }).toBe('details');
    await expectText(app.details.summary(), NEWER.version);
    await expectText(app.details.signature(), 'https://github.com/acme/vespera');
    await expectAccessible(app.page, 'update details from a notification');
    await saveScreenshot(app.page, 'details');
    // Details is only a look: nothing restarted.
    expect((await hostOf(world.world).reboots()).logind).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('fits a 480 px window with the real sentences: a staged update another repository signed', async () => {
    const { app, problems } = await openApp('staged-forked', VIEWPORTS.narrow);
    await expectText(app.status.headline(), 'failed its signature check', 30_000);
    // The reason is the app's own words with the registry, the full digest and two URLs in it, said once.
    const reason = await app.view().locator('.headline-detail').innerText();
    expect(reason).toMatch(/sha256:[0-9a-f]{64}.*https:\/\/github\.com\/mallory\/vespera/s);
    expect(occurrences(await app.view().innerText(), reason)).toBe(1);
    await expectNoSidewaysOverflow(app.page, 'status on staged-forked');
    await saveScreenshot(app.page, 'status');
    await app.open('Update');
    await expectText(app.details.summary(), 'Did not pass the signature check');
    await expectNoSidewaysOverflow(app.page, 'details on staged-forked');
    await saveScreenshot(app.page, 'details');
    await app.open('Doctor');
    await expectText(app.doctor.summary(), 'problems found', 60_000);
    await expectNoSidewaysOverflow(app.page, 'doctor on staged-forked');
    await saveScreenshot(app.page, 'doctor');
    expect(problems).toEqual([]);
  });

  it('rolls back with the wizard after discarding the staged update that blocks it', async () => {
    const { app, world, problems } = await openApp('staged-update');
    const wizard = app.rollback;
    await app.status.action('Roll back…').click();
    await wizard.expectStep('Preview');
    await expectText(wizard.card('Running now'), CURRENT.version);
    await expectText(wizard.card('After rolling back'), OLD.version);
    await expectText(wizard.stagedBlock(), NEWER.version);
    await expectAccessible(app.page, 'rollback preview on the world');
    await wizard.discardStaged().check();
    await wizard.button('Continue').click();
    await wizard.expectStep('Confirm');
    await wizard.button('Roll back').click();
    await wizard.expectStep('Done', 30_000);
    await expectText(wizard.outcome(), 'The rollback is staged');
    await saveScreenshot(app.page, 'done');
    await wizard.button('Restart later').click();

    const state = await hostOf(world.world).dump();
    expect(state.deployments.some((d) => d.staged)).toBe(false);
    expect(state.deployments[0]?.version).toBe(OLD.version);
    expect(state.deployments.find((d) => d.booted)?.version).toBe(CURRENT.version);
    expect((await hostOf(world.world).reboots()).logind).toEqual([]);
    expect(problems).toEqual([]);
  });
});
