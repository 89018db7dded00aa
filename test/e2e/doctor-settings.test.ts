// The doctor and the settings in Chromium against the fixture bridge: every check's result in words
// with evidence and a copyable fix; settings that save and explain themselves.

import { describe, expect, it } from 'vitest';
import { SIGNED_REFERENCE, DOCTOR_REPORT, ENFORCEMENT, SETTINGS, SNAPSHOTS } from './support/fixtures.ts';
import { VIEWPORTS, expectAccessible, useBrowser } from './support/browser.ts';
import { expectText } from './support/pages.ts';
import { openWithFixture } from './support/session.ts';

const browser = useBrowser();

describe('doctor', () => {
  it('runs when opened and shows each result, failures first, with evidence and the exact fix', async () => {
    const { app, fixture, problems } = await openWithFixture(
      browser,
      { status: SNAPSHOTS.unverified, commands: { 'doctor.run': { output: DOCTOR_REPORT } } },
      { viewport: VIEWPORTS.window },
    );
    await app.open('Doctor');
    await expectText(app.doctor.summary(), '2 problems found: 2 passed, 2 failed, 1 skipped. Ran 26 Nov 2026, 09:45.');

    const order = await app.view().locator('[data-check]').evaluateAll((items) => items.map((item) => item.getAttribute('data-check')));
    expect(order).toEqual(['image-reference', 'policy-default', 'daemon', 'key-installed', 'signature-visible']);

    const failed = app.doctor.check('image-reference');
    await expectText(failed, 'The image reference is signed Failed');
    await expectText(failed, `How to fix it: Switch to the signed reference with the migration wizard, or from a terminal:`);
    await expectText(failed.locator('.command-line code'), `rpm-ostree rebase ${SIGNED_REFERENCE}`);
    expect(await failed.locator('details').getAttribute('open')).not.toBeNull();
    await expectText(app.doctor.check('daemon'), 'The update service answers Passed');
    expect(await app.doctor.check('daemon').locator('details').getAttribute('open')).toBeNull();
    await expectText(app.doctor.check('key-installed'), 'The publisher key is installed Skipped');
    await expectAccessible(app.page, 'doctor');

    // The fix's command goes to the clipboard exactly as it must be typed.
    await app.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await failed.getByRole('button', { name: /^Copy the command/ }).click();
    await expectText(failed, 'Copied');
    expect(await app.page.evaluate(() => navigator.clipboard.readText())).toBe(`rpm-ostree rebase ${SIGNED_REFERENCE}`);

    await app.view().getByRole('button', { name: 'Run the checks again' }).click();
    await expect.poll(() => fixture.invocationsOf('doctor.run')).toHaveLength(2);
    expect(problems).toEqual([]);
  });

  it('says what went wrong when the checks cannot run', async () => {
    const { app } = await openWithFixture(
      browser,
      { status: SNAPSHOTS['no-daemon'], commands: { 'doctor.run': { failure: { code: 'busy', message: 'Another check is running; try again in a moment.' } } } },
      { view: 'doctor' },
    );
    await expectText(app.doctor.summary(), 'Another check is running; try again in a moment.');
  });
});

describe('settings', () => {
  it('saves each toggle and explains automatic staging', async () => {
    const { app, fixture } = await openWithFixture(browser, { status: SNAPSHOTS['signed-current'], settings: SETTINGS });
    await app.open('Settings');
    const autostart = app.settings.toggle('Start when I log in');
    const staging = app.settings.toggle('Stage verified updates automatically');
    await expect.poll(() => autostart.isChecked()).toBe(true);
    expect(await staging.isChecked()).toBe(false);
    await expectText(app.view(), 'downloads it and stages it in the background. The update then waits, held by the OS, until you choose Restart now.');
    await expectText(app.view(), 'This applies in app-enforced mode. This computer is key-enforced: the OS checks updates itself.');
    await expectAccessible(app.page, 'settings');

    await staging.check();
    await expectText(app.view().locator('[aria-live="polite"]').last(), 'Saved.');
    await autostart.focus();
    await app.page.keyboard.press('Space');
    await expect.poll(() => fixture.invocationsOf('settings.set')).toEqual([{ automaticStaging: true }, { autostart: false }]);
    await expect.poll(() => autostart.isChecked()).toBe(false);
  });

  it('warns when rpm-ostree’s own timer stages updates on an app-enforced host', async () => {
    const { app } = await openWithFixture(
      browser,
      { status: { ...SNAPSHOTS['signed-current'], enforcement: ENFORCEMENT['app-enforced'], automaticUpdatePolicy: 'stage' }, settings: SETTINGS },
      { view: 'settings' },
    );
    await expectText(app.view(), 'rpm-ostree’s own automatic updates are also on (stage). Those cannot check the keyless signature');
  });
});
