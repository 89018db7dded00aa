// The migration wizard in Chromium against the fixture bridge: preview → confirm → progress →
// outcome, success and failure with its cause, re-preview with the options main offers, blocked
// previews that say only why, keyboard only.

import { describe, expect, it } from 'vitest';
import { ALL_IMPACTS, VIEWPORTS, expectAccessible, saveScreenshot, useBrowser } from './support/browser.ts';
import type { FixtureScenario } from './support/fixture-bridge.ts';
import {
  DIGESTS,
  FORGED_FAILURE,
  MIGRATION_APP,
  MIGRATION_BLOCKED,
  MIGRATION_BLOCKED_BY_STAGED,
  MIGRATION_CHOICES,
  MIGRATION_FAILURE,
  MIGRATION_KEY,
  MIGRATION_PROGRESS,
  MIGRATION_SUCCESS,
  SIGNED_REFERENCE,
  SNAPSHOTS,
  UNVERIFIED_REFERENCE,
} from './support/fixtures.ts';
import { expectText, expectVisible, occurrences } from './support/pages.ts';
import { openWithFixture } from './support/session.ts';

const browser = useBrowser();

function scenario(run: NonNullable<FixtureScenario['commands']>['migration.run']): FixtureScenario {
  return {
    status: SNAPSHOTS.unverified,
    commands: {
      'migration.preview': { replies: [{ when: { mode: 'app' }, output: MIGRATION_APP }], output: MIGRATION_KEY },
      'migration.run': run,
      'host.reboot': { output: { ok: true, message: 'Restarting now.' } },
    },
  };
}

describe('migration wizard', () => {
  it('goes preview → confirm → progress → success, then restarts when asked', async () => {
    const { app, fixture, problems } = await openWithFixture(
      browser,
      scenario({ progress: MIGRATION_PROGRESS, hold: true, output: MIGRATION_SUCCESS, statusAfter: SNAPSHOTS['signed-current'] }),
      { viewport: VIEWPORTS.window },
    );
    const wizard = app.migration;
    await app.status.action('Switch to a signed image…').click();
    await wizard.expectStep('Preview');
    await wizard.waitForPreview();

    // The preview says what changes, which mode and why, and what that mode really enforces.
    await expectText(wizard.root(), `From ${UNVERIFIED_REFERENCE} To ${SIGNED_REFERENCE}`);
    await expectText(wizard.mode(), 'Key-enforced');
    await expectText(wizard.root(), `Why this mode: ${MIGRATION_KEY.modeReason}`);
    await expectText(wizard.root(), "What it enforces: The OS enforces it. rpm-ostree checks the publisher's key signature");
    await expectText(wizard.root().getByRole('region', { name: 'The image it switches to' }), DIGESTS.current);
    await expectText(wizard.root().getByRole('region', { name: 'The image it switches to' }), 'Signed with key vespera.pub');
    await expectText(wizard.policyFiles(), '/etc/containers/policy.json Changed');
    await expectText(wizard.policyFiles(), '/etc/containers/registries.d/vespera.yaml New file');
    await expectText(wizard.root().getByLabel('Changes to /etc/containers/policy.json'), '+ "default": [{ "type": "reject" }],');
    await expectText(wizard.root(), `Warning: ${MIGRATION_KEY.warnings[0] ?? ''}`);
    await expectText(wizard.root().getByRole('region', { name: 'What happens, in order' }), 'Install the key vespera.pub');
    await expectAccessible(app.page, 'migration preview');
    await saveScreenshot(app.page, 'preview');

    await wizard.button('Continue').click();
    await wizard.expectStep('Confirm');
    await expectText(wizard.root(), `Vespera Updates will write 2 files and switch this computer from ${UNVERIFIED_REFERENCE} to ${SIGNED_REFERENCE} (42.20261115.0).`);
    await expectText(wizard.root(), 'The computer keeps running what it runs now until you restart it.');
    await expectAccessible(app.page, 'migration confirm');
    await saveScreenshot(app.page, 'confirm');
    expect(await fixture.invocationsOf('migration.run')).toEqual([]);

    await wizard.button('Switch to the signed image').click();
    await wizard.expectStep('Apply');
    await expectText(wizard.progressLine(), 'Rebasing to the signed image: downloading 6 of 14 layers (55%)');
    await expectText(wizard.root().getByRole('list', { name: 'Steps so far' }), 'Verifying the target image (done)');
    await expectAccessible(app.page, 'migration progress');
    await saveScreenshot(app.page, 'progress');

    await fixture.release('migration.run');
    await wizard.expectStep('Done');
    await expectText(wizard.outcome(), 'The signed image is staged');
    await expectText(wizard.outcome(), MIGRATION_SUCCESS.message);
    await expectText(wizard.outcome(), MIGRATION_SUCCESS.hostState ?? '');
    await expectAccessible(app.page, 'migration success');
    await saveScreenshot(app.page, 'success');
    await wizard.button('Restart now').click();
    await expect.poll(() => fixture.invocationsOf('host.reboot')).toEqual([null]);
    expect(await fixture.invocationsOf('migration.run')).toEqual([{ planId: MIGRATION_KEY.planId }]);
    expect(problems).toEqual([]);
  });

  it('shows why a switch failed and that the host was left as it was', async () => {
    const { app, fixture } = await openWithFixture(browser, scenario({ progress: MIGRATION_PROGRESS.slice(0, 2), output: MIGRATION_FAILURE }));
    const wizard = app.migration;
    await wizard.confirmFromStatus();
    await wizard.expectStep('Done');
    await expectText(wizard.outcome(), 'The switch did not happen');
    await expectText(wizard.outcome().getByRole('alert'), MIGRATION_FAILURE.message);
    await expectText(wizard.outcome().getByRole('alert'), `Error code: ${MIGRATION_FAILURE.code ?? ''}`);
    await expectText(wizard.hostState(), `This computer: ${MIGRATION_FAILURE.hostState ?? ''}`);
    await expectAccessible(app.page, 'migration failure');
    await saveScreenshot(app.page, 'failure');

    await wizard.button('Back to the preview').click();
    await wizard.expectStep('Preview');
    await wizard.waitForPreview();
    expect(await fixture.invocationsOf('migration.preview')).toHaveLength(2);
  });

  it('says plainly when it cannot tell what state the host was left in', async () => {
    const { app } = await openWithFixture(browser, scenario({ failure: { code: 'daemon-gone', message: 'rpm-ostreed stopped answering.' } }));
    const wizard = app.migration;
    await wizard.confirmFromStatus();
    await wizard.expectStep('Done');
    await expectText(wizard.outcome().getByRole('alert'), 'rpm-ostreed stopped answering.');
    await expectText(wizard.hostState(), 'could not confirm what state the computer was left in. Run Diagnose problems');
  });

  it('previews again with the options the user picks', async () => {
    const { app, fixture } = await openWithFixture(browser, scenario({ output: MIGRATION_SUCCESS }));
    const wizard = app.migration;
    await app.status.action('Switch to a signed image…').click();
    await wizard.waitForPreview();
    expect(await wizard.option('Choose for me').isChecked()).toBe(true);
    await wizard.option('App-enforced').check();
    await wizard.option('Everything under ghcr.io/acme').check();
    await wizard.button('Preview again with these options').click();
    await expectText(wizard.mode(), 'App-enforced');
    await expectText(wizard.root(), 'What it enforces: Vespera Updates enforces it.');
    await expectText(wizard.root(), 'The OS itself cannot check a GitHub workflow identity');
    expect((await fixture.invocationsOf('migration.preview')).at(-1)).toEqual({ mode: 'app', scope: 'namespace', defaultPolicy: 'reject' });
    // App mode writes no policy: no rule to scope, no default to choose.
    await expect.poll(() => wizard.optionGroup('Rule covers').count()).toBe(0);
    expect(await wizard.optionGroup('Images no rule covers').count()).toBe(0);
    expect(await wizard.optionGroup('Who enforces').count()).toBe(1);
    await wizard.button('Continue').click();
    await wizard.button('Switch to the signed image').click();
    await wizard.expectStep('Done');
    expect(await fixture.invocationsOf('migration.run')).toEqual([{ planId: MIGRATION_APP.planId }]);
  });

  it('offers the choices main gives for this host, in its words, and says why one is not possible', async () => {
    const { app, fixture, problems } = await openWithFixture(browser, scenario({ output: MIGRATION_SUCCESS }), { viewport: VIEWPORTS.window });
    const wizard = app.migration;
    await app.status.action('Switch to a signed image…').click();
    await wizard.waitForPreview();
    const scope = wizard.optionGroup('Rule covers');
    const radios = await scope.getByRole('radio').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    expect(radios).toEqual(MIGRATION_CHOICES.scope.map((choice) => choice.value));
    for (const choice of MIGRATION_CHOICES.scope) await expectText(scope, `${choice.label} ${choice.hint}`);
    // "Only this image" means the one image, and is what main chose.
    expect(await wizard.option('Only this image').isChecked()).toBe(true);

    const keep = wizard.option('Keep the current default');
    expect(await keep.isDisabled()).toBe(true);
    const keepChoice = MIGRATION_CHOICES.defaultPolicy.find((choice) => choice.value === 'keep');
    await expectText(wizard.optionGroup('Images no rule covers'), `${keepChoice?.label ?? ''} ${keepChoice?.hint ?? ''} ${keepChoice?.unavailableReason ?? ''}`);
    // The reason is read out with the option.
    expect(await keep.evaluate((input) => [...(input.getAttribute('aria-describedby') ?? '').split(' ')].map((id) => document.getElementById(id)?.textContent).join(' '))).toContain(
      keepChoice?.unavailableReason,
    );
    expect(await wizard.option('Refuse images no rule covers').isChecked()).toBe(true);
    // Nothing in the window tells a person to type a command-line flag.
    expect(await wizard.root().innerText()).not.toMatch(/(^|\s)--[a-z]/);
    await expectAccessible(app.page, 'migration options', ALL_IMPACTS);
    await saveScreenshot(app.page, 'options');

    await wizard.option('Every Vespera variant').check();
    await wizard.button('Preview again with these options').click();
    await expect.poll(() => fixture.invocationsOf('migration.preview')).toHaveLength(2);
    expect((await fixture.invocationsOf('migration.preview')).at(-1)).toEqual({ mode: 'auto', scope: 'per-variant', defaultPolicy: 'reject' });
    expect(problems).toEqual([]);
  });

  it('will not continue to a target that failed verification, and says why once', async () => {
    const { app } = await openWithFixture(browser, { status: SNAPSHOTS.unverified, commands: { 'migration.preview': { output: MIGRATION_BLOCKED } } });
    const wizard = app.migration;
    await app.status.action('Switch to a signed image…').click();
    await wizard.waitForPreview();
    await expectText(wizard.root(), `This switch cannot run: ${MIGRATION_BLOCKED.blockedBy ?? ''}`);
    const target = wizard.root().getByRole('region', { name: 'The image it would switch to' });
    await expectText(target, 'Signature check failed');
    await expectText(target, DIGESTS.forged);
    await expectText(target, `Error code: ${FORGED_FAILURE.code}`);
    expect(occurrences(await wizard.root().innerText(), FORGED_FAILURE.message)).toBe(1);
    // Nothing that would only happen if it ran: no destination, mode, files or steps.
    expect(await wizard.fromTo()).toEqual([`From ${UNVERIFIED_REFERENCE}`]);
    expect(await wizard.mode().count()).toBe(0);
    expect(await wizard.policyFiles().count()).toBe(0);
    expect(await wizard.optionGroup('Rule covers').count()).toBe(0);
    expect(await wizard.button('Continue').isDisabled()).toBe(true);
    await expectAccessible(app.page, 'migration blocked');
  });

  it('shows a preview blocked by a staged update as the reason alone, whatever empty fields came with it', async () => {
    const { app } = await openWithFixture(browser, { status: SNAPSHOTS['update-ready'], commands: { 'migration.preview': { output: MIGRATION_BLOCKED_BY_STAGED } } }, { view: 'migration' });
    const wizard = app.migration;
    await wizard.waitForPreview();
    await expectText(wizard.root(), `This switch cannot run: ${MIGRATION_BLOCKED_BY_STAGED.blockedBy ?? ''}`);
    const text = await wizard.root().innerText();
    expect(occurrences(text, MIGRATION_BLOCKED_BY_STAGED.blockedBy ?? '')).toBe(1);
    // The preview said To = From, an empty mode reason and digest: none of it is shown.
    expect(await wizard.fromTo()).toEqual([`From ${UNVERIFIED_REFERENCE}`]);
    expect(text).not.toContain('Why this mode');
    expect(text).not.toContain('Digest');
    expect(await wizard.mode().count()).toBe(0);
    expect(await wizard.policyFiles().count()).toBe(0);
    expect(await wizard.root().getByRole('region', { name: 'What happens, in order' }).count()).toBe(0);
    expect(await wizard.optionGroup('Rule covers').count()).toBe(0);
    expect(await wizard.optionGroup('Images no rule covers').count()).toBe(0);
    expect(await wizard.button('Continue').isDisabled()).toBe(true);
    await expectAccessible(app.page, 'migration blocked by a staged update', ALL_IMPACTS);
  });

  it('steps back with Escape: confirm → preview → out of the wizard', async () => {
    const { app, fixture } = await openWithFixture(browser, scenario({ output: MIGRATION_SUCCESS }));
    const wizard = app.migration;
    await app.status.action('Switch to a signed image…').click();
    await wizard.waitForPreview();
    await wizard.button('Continue').click();
    await wizard.expectStep('Confirm');
    await app.page.keyboard.press('Escape');
    await wizard.expectStep('Preview');
    await app.page.keyboard.press('Escape');
    await expect.poll(() => app.currentView()).toBe('status');
    expect(await fixture.invocationsOf('migration.run')).toEqual([]);
  });

  it('can be completed with the keyboard alone', async () => {
    const { app, fixture } = await openWithFixture(
      browser,
      scenario({ progress: MIGRATION_PROGRESS, hold: true, output: MIGRATION_SUCCESS }),
      { viewport: VIEWPORTS.popover },
    );
    const wizard = app.migration;
    await app.tabTo('button', 'Switch to a signed image…');
    await app.page.keyboard.press('Enter');
    await wizard.waitForPreview();
    // Opening the wizard puts focus on its heading, so the next Tab starts inside it.
    await expect.poll(() => app.heading().evaluate((element) => element === document.activeElement)).toBe(true);

    await app.tabTo('button', 'Continue');
    await app.page.keyboard.press('Enter');
    await wizard.expectStep('Confirm');
    await expect.poll(() => wizard.stepHeading().evaluate((element) => element === document.activeElement)).toBe(true);

    await app.tabTo('button', 'Switch to the signed image');
    await app.page.keyboard.press('Space');
    await wizard.expectStep('Apply');
    await expectVisible(wizard.progressLine());
    await fixture.release('migration.run');
    await wizard.expectStep('Done');

    await app.tabTo('button', 'Restart later');
    await saveScreenshot(app.page, 'focus on restart later');
    await app.page.keyboard.press('Enter');
    await expect.poll(() => app.currentView()).toBe('status');
    expect(await fixture.invocationsOf('migration.run')).toEqual([{ planId: MIGRATION_KEY.planId }]);
    expect(await fixture.invocationsOf('host.reboot')).toEqual([]);
  });
});
