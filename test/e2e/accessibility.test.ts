// Every view and wizard step through axe-core, in light and in dark, at the tray popover's size: no
// violation of any impact anywhere (stricter than the critical-only gate). Also the unconnected page.

import { describe, expect, it } from 'vitest';
import type { View } from '../../preload/contract.ts';
import { ALL_IMPACTS, expectAccessible, newPage, saveScreenshot, useBrowser, watchPageProblems } from './support/browser.ts';
import type { FixtureScenario } from './support/fixture-bridge.ts';
import {
  DOCTOR_REPORT,
  MIGRATION_FAILURE,
  MIGRATION_KEY,
  MIGRATION_PROGRESS,
  ROLLBACK_BLOCKED_BY_STAGED,
  SETTINGS,
  SNAPSHOTS,
} from './support/fixtures.ts';
import { expectText, expectVisible } from './support/pages.ts';
import { openWithFixture } from './support/session.ts';

const browser = useBrowser();

const EVERYTHING: FixtureScenario = {
  status: SNAPSHOTS['needs-attention'],
  settings: SETTINGS,
  commands: {
    'migration.preview': { output: MIGRATION_KEY },
    'migration.run': { progress: MIGRATION_PROGRESS, hold: true, output: MIGRATION_FAILURE },
    'rollback.preview': { output: ROLLBACK_BLOCKED_BY_STAGED },
    'doctor.run': { output: DOCTOR_REPORT },
  },
};

/** What must be on screen before a view is checked, so axe sees the finished view. */
const READY: Record<View, string> = {
  status: 'failed its signature check: discard it',
  details: 'Did not pass the signature check',
  migration: 'The image it switches to',
  rollback: 'A staged update is in the way',
  doctor: 'problems found',
  settings: 'Stage verified updates automatically',
};

describe.each(['light', 'dark'] as const)('accessibility in %s mode', (colorScheme) => {
  it.each(Object.keys(READY) as View[])('the %s view has no accessibility violation', async (view) => {
    const { app, problems } = await openWithFixture(browser, EVERYTHING, { colorScheme, view });
    await expectText(app.view(), READY[view]);
    await expectAccessible(app.page, `${view} (${colorScheme})`, ALL_IMPACTS);
    expect(problems).toEqual([]);
  });

  it('every migration step has no accessibility violation', async () => {
    const { app, fixture } = await openWithFixture(browser, EVERYTHING, { colorScheme, view: 'migration' });
    const wizard = app.migration;
    await wizard.waitForPreview();
    await wizard.button('Continue').click();
    await wizard.expectStep('Confirm');
    await expectAccessible(app.page, `migration confirm (${colorScheme})`, ALL_IMPACTS);
    await wizard.button('Switch to the signed image').click();
    await expectText(wizard.progressLine(), 'Rebasing to the signed image');
    await expectAccessible(app.page, `migration progress (${colorScheme})`, ALL_IMPACTS);
    await saveScreenshot(app.page, 'progress');
    await fixture.release('migration.run');
    await wizard.expectStep('Done');
    await expectAccessible(app.page, `migration failure (${colorScheme})`, ALL_IMPACTS);
  });
});

it('a browser with no bridge is told where the working window is', async () => {
  const { browser: chromium, url } = browser.harness();
  const { context, page } = await newPage(chromium);
  browser.track(context, page);
  const problems = watchPageProblems(page);
  await page.goto(url);
  await expectVisible(page.getByRole('heading', { name: 'Vespera Updates is not connected' }));
  await expectText(page.getByRole('main'), 'run npm run demo -- --web and open the address it prints');
  await expectAccessible(page, 'not connected', ALL_IMPACTS);
  expect(problems).toEqual([]);
});
