// Every view at 480 px wide, in Chromium against the fixture bridge: the status in each health state,
// the update details in each update state, every step of both wizards (blocked previews included),
// the doctor and the settings. None may scroll sideways or reach past the window, however long the
// digests, image references and URLs in main's sentences; each is screenshot and checked by axe.

import { describe, expect, it } from 'vitest';
import type { HostHealth, StatusSnapshot } from '../../preload/contract.ts';
import { VIEWPORTS, expectAccessible, expectNoSidewaysOverflow, newPage, saveScreenshot, useBrowser } from './support/browser.ts';
import {
  DOCTOR_REPORT,
  DOCTOR_STAGED_CHECK,
  ENFORCEMENT,
  MIGRATION_APP,
  MIGRATION_BLOCKED,
  MIGRATION_BLOCKED_BY_STAGED,
  MIGRATION_FAILURE,
  MIGRATION_KEY,
  MIGRATION_PROGRESS,
  MIGRATION_SUCCESS,
  ROLLBACK_BLOCKED_BY_STAGED,
  ROLLBACK_PROGRESS,
  ROLLBACK_SUCCESS,
  SETTINGS,
  SNAPSHOTS,
} from './support/fixtures.ts';
import type { AppPage } from './support/pages.ts';
import { expectText, expectVisible } from './support/pages.ts';
import { openWithFixture } from './support/session.ts';

const browser = useBrowser();
const NARROW = { viewport: VIEWPORTS.narrow };

/** Opens every folded part of the view (deployments, evidence), so what is inside is measured too. */
async function unfoldAll(app: AppPage): Promise<void> {
  const folded = app.view().locator('details:not([open]) > summary');
  for (let left = await folded.count(); left > 0; left -= 1) await folded.first().click();
  expect(await folded.count()).toBe(0);
}

/** Measures what is on screen now, then saves it and runs axe over it. */
async function measure(app: AppPage, moment: string): Promise<void> {
  expect(app.page.viewportSize()?.width).toBe(480);
  await expectNoSidewaysOverflow(app.page, moment);
  await saveScreenshot(app.page, moment);
  await expectAccessible(app.page, `${moment} at 480 px`);
}

describe('at 480 px wide', () => {
  // A page for every four states, to stay well inside the timeout on a busy machine.
  const HEALTHS = Object.keys(SNAPSHOTS) as HostHealth[];
  const GROUPS = Array.from({ length: Math.ceil(HEALTHS.length / 4) }, (_, index) => ({ healths: HEALTHS.slice(index * 4, index * 4 + 4) }));
  it.each(GROUPS)('the status fits when it is $healths', async ({ healths }) => {
    const { app, fixture, problems } = await openWithFixture(browser, { status: SNAPSHOTS['signed-current'] }, NARROW);
    for (const health of healths) {
      await fixture.emit('status.changed', SNAPSHOTS[health]);
      await expectText(app.status.headline(), SNAPSHOTS[health].headline);
      // Open every folded deployment too: its digest and reference must fit as well.
      await unfoldAll(app);
      await measure(app, `status ${health}`);
    }
    expect(problems).toEqual([]);
  });

  it('the update details fit for a ready, an available, a failed and no update', async () => {
    const { app, fixture, problems } = await openWithFixture(browser, { status: SNAPSHOTS['update-ready'] }, { ...NARROW, view: 'details' });
    const states: ReadonlyArray<[string, StatusSnapshot]> = [
      ['ready', SNAPSHOTS['update-ready']],
      ['available', SNAPSHOTS['update-available']],
      ['failed', SNAPSHOTS['needs-attention']],
      ['none', SNAPSHOTS['signed-current']],
    ];
    for (const [state, snapshot] of states) {
      await fixture.emit('status.changed', snapshot);
      if (snapshot.update) await expectText(app.details.summary(), snapshot.update.version ?? '');
      else await expectText(app.view(), 'No update is waiting.');
      await measure(app, `details ${state}`);
    }
    expect(problems).toEqual([]);
  });

  it('every step of the migration wizard fits, to success and to failure', async () => {
    const { app, fixture, problems } = await openWithFixture(
      browser,
      {
        status: SNAPSHOTS.unverified,
        commands: {
          'migration.preview': { replies: [{ when: { mode: 'app' }, output: MIGRATION_APP }], output: MIGRATION_KEY },
          'migration.run': {
            progress: MIGRATION_PROGRESS,
            hold: true,
            replies: [{ when: { planId: MIGRATION_APP.planId }, output: MIGRATION_FAILURE }],
            output: MIGRATION_SUCCESS,
          },
        },
      },
      NARROW,
    );
    const wizard = app.migration;
    await app.status.action('Switch to a signed image…').click();
    await wizard.waitForPreview();
    await measure(app, 'migration preview, key-enforced with its options');
    await wizard.button('Continue').click();
    await wizard.expectStep('Confirm');
    await measure(app, 'migration confirm');
    await wizard.button('Switch to the signed image').click();
    await expectText(wizard.progressLine(), 'Rebasing to the signed image');
    await measure(app, 'migration progress');
    await fixture.release('migration.run');
    await wizard.expectStep('Done');
    await measure(app, 'migration success');

    await wizard.button('Restart later').click();
    await app.status.action('Switch to a signed image…').click();
    await wizard.waitForPreview();
    await wizard.option('App-enforced').check();
    await wizard.button('Preview again with these options').click();
    await expectText(wizard.mode(), 'App-enforced');
    await measure(app, 'migration preview, app-enforced');
    await wizard.button('Continue').click();
    await wizard.button('Switch to the signed image').click();
    await fixture.release('migration.run');
    await wizard.expectStep('Done');
    await expectText(wizard.outcome(), 'The switch did not happen');
    await measure(app, 'migration failure');
    expect(problems).toEqual([]);
  });

  it('a blocked migration preview fits, whichever way it is blocked', async () => {
    const { app, problems } = await openWithFixture(
      browser,
      {
        status: SNAPSHOTS.unverified,
        commands: { 'migration.preview': { replies: [{ when: { mode: 'key' }, output: MIGRATION_BLOCKED_BY_STAGED }], output: MIGRATION_BLOCKED } },
      },
      { ...NARROW, view: 'migration' },
    );
    const wizard = app.migration;
    await wizard.waitForPreview();
    await expectText(wizard.root(), MIGRATION_BLOCKED.blockedBy ?? '');
    await measure(app, 'migration blocked, target failed verification');
    await wizard.option('Key-enforced').check();
    await wizard.button('Preview again with these options').click();
    await expectText(wizard.root(), MIGRATION_BLOCKED_BY_STAGED.blockedBy ?? '');
    await measure(app, 'migration blocked by a staged update');
    expect(problems).toEqual([]);
  });

  it('every step of the rollback wizard fits', async () => {
    const { app, fixture, problems } = await openWithFixture(
      browser,
      {
        status: { ...SNAPSHOTS['update-ready'], actions: [...SNAPSHOTS['update-ready'].actions, 'rollback'] },
        commands: {
          'rollback.preview': { output: ROLLBACK_BLOCKED_BY_STAGED },
          'rollback.run': { progress: ROLLBACK_PROGRESS, hold: true, output: ROLLBACK_SUCCESS },
        },
      },
      NARROW,
    );
    const wizard = app.rollback;
    await app.status.action('Roll back…').click();
    await expectVisible(wizard.stagedBlock());
    await measure(app, 'rollback preview');
    await wizard.discardStaged().check();
    await wizard.button('Continue').click();
    await wizard.expectStep('Confirm');
    await measure(app, 'rollback confirm');
    await wizard.button('Roll back').click();
    await expectText(wizard.progressLine(), 'Making the rollback deployment the default');
    await measure(app, 'rollback progress');
    await fixture.release('rollback.run');
    await wizard.expectStep('Done');
    await measure(app, 'rollback done');
    expect(problems).toEqual([]);
  });

  it('the doctor and the settings fit', async () => {
    const { app, problems } = await openWithFixture(
      browser,
      {
        status: { ...SNAPSHOTS['needs-attention'], enforcement: ENFORCEMENT['app-enforced'], automaticUpdatePolicy: 'stage' },
        settings: SETTINGS,
        commands: { 'doctor.run': { output: { ...DOCTOR_REPORT, checks: [...DOCTOR_REPORT.checks, DOCTOR_STAGED_CHECK] } } },
      },
      NARROW,
    );
    await app.open('Doctor');
    await expectText(app.doctor.summary(), 'problems found');
    await unfoldAll(app);
    await measure(app, 'doctor');
    await app.open('Settings');
    await expectText(app.view(), 'rpm-ostree’s own automatic updates are also on (stage)');
    await measure(app, 'settings');
    expect(problems).toEqual([]);
  });

  it('the page a browser without the bridge gets fits', async () => {
    const { browser: chromium, url } = browser.harness();
    const { context, page } = await newPage(chromium, NARROW);
    browser.track(context, page);
    await page.goto(url);
    await expectVisible(page.getByRole('heading', { name: 'Vespera Updates is not connected' }));
    await expectNoSidewaysOverflow(page, 'not connected');
  });
});
