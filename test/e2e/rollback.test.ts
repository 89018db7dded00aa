// The rollback wizard in Chromium against the fixture bridge: both deployments side by side, a staged
// update that must be discarded first, confirm → progress → restart later; and when nothing to go back to.

import { describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../preload/contract.ts';
import { VIEWPORTS, expectAccessible, saveScreenshot, useBrowser } from './support/browser.ts';
import { ROLLBACK_WITH_CHANGES } from './support/change-fixtures.ts';
import { DIGESTS, ROLLBACK_BLOCKED_BY_STAGED, ROLLBACK_PROGRESS, ROLLBACK_SUCCESS, SIGNED_REFERENCE, SNAPSHOTS, VERSIONS } from './support/fixtures.ts';
import { expectText, expectVisible } from './support/pages.ts';
import { openWithFixture } from './support/session.ts';

const browser = useBrowser();

const READY_WITH_ROLLBACK: StatusSnapshot = { ...SNAPSHOTS['update-ready'], actions: [...SNAPSHOTS['update-ready'].actions, 'rollback'] };

describe('rollback wizard', () => {
  it('compares both deployments, discards the blocking staged update first, and rolls back', async () => {
    const { app, fixture, problems } = await openWithFixture(
      browser,
      {
        status: READY_WITH_ROLLBACK,
        commands: {
          'rollback.preview': { output: ROLLBACK_WITH_CHANGES },
          'rollback.run': { progress: ROLLBACK_PROGRESS, hold: true, output: ROLLBACK_SUCCESS },
        },
      },
      { viewport: VIEWPORTS.window },
    );
    const wizard = app.rollback;
    await app.status.action('Roll back…').click();
    await wizard.expectStep('Preview');

    const now = wizard.card('Running now');
    const after = wizard.card('After rolling back');
    await expectText(now, `${VERSIONS.current} built 15 Nov 2026, 04:00`);
    await expectText(after, `${VERSIONS.old} built 1 Nov 2026, 04:00`);
    await expectText(after, SIGNED_REFERENCE);
    await expectText(after, DIGESTS.old.slice(0, 19));
    await expectText(wizard.root(), 'checked the signature of the rollback image again at 26 Nov 2026, 09:41');
    await expectText(wizard.packages(), 'kernel downgraded 6.17.8-300.fc42 6.17.7-300.fc42');
    await expectText(wizard.packages(), 'htop new not installed 3.4.1-1.fc42');

    // The staged update blocks the rollback until the user agrees to discard it.
    await expectText(wizard.stagedBlock(), `${VERSIONS.newer} (built 25 Nov 2026, 04:00) is staged for the next restart.`);
    expect(await wizard.button('Continue').isDisabled()).toBe(true);
    await expectAccessible(app.page, 'rollback preview');
    await saveScreenshot(app.page, 'preview');
    await wizard.discardStaged().check();
    await wizard.button('Continue').click();

    await wizard.expectStep('Confirm');
    await expectText(wizard.root(), `After the next restart the computer starts ${VERSIONS.old} (built 1 Nov 2026, 04:00).`);
    await expectText(wizard.root(), `The staged update ${VERSIONS.newer} is discarded first.`);
    await expectAccessible(app.page, 'rollback confirm');
    await saveScreenshot(app.page, 'confirm');
    await wizard.button('Roll back').click();

    await wizard.expectStep('Apply');
    await expectText(wizard.progressLine(), 'Making the rollback deployment the default (70%)');
    await fixture.release('rollback.run');
    await wizard.expectStep('Done');
    await expectText(wizard.outcome(), 'The rollback is staged');
    await expectText(wizard.outcome(), ROLLBACK_SUCCESS.message);
    await expectAccessible(app.page, 'rollback done');
    await wizard.button('Restart later').click();
    await expect.poll(() => app.currentView()).toBe('status');
    expect(await fixture.invocationsOf('rollback.run')).toEqual([{ discardStaged: true }]);
    expect(problems).toEqual([]);
  });

  it('rolls back without discarding anything when nothing is staged', async () => {
    const { app, fixture } = await openWithFixture(
      browser,
      {
        status: SNAPSHOTS['signed-current'],
        commands: {
          'rollback.preview': { output: { ...ROLLBACK_BLOCKED_BY_STAGED, blockedByStaged: undefined, blockedBy: undefined, canRun: true } },
          'rollback.run': { output: ROLLBACK_SUCCESS },
        },
      },
    );
    const wizard = app.rollback;
    await app.status.action('Roll back…').click();
    await expectVisible(wizard.card('After rolling back'));
    expect(await wizard.stagedBlock().count()).toBe(0);
    await wizard.button('Continue').click();
    await wizard.button('Roll back').click();
    await wizard.expectStep('Done');
    expect(await fixture.invocationsOf('rollback.run')).toEqual([{ discardStaged: false }]);
  });

  it('says so when there is nothing to roll back to', async () => {
    const { app } = await openWithFixture(
      browser,
      {
        status: SNAPSHOTS['signed-current'],
        commands: {
          'rollback.preview': {
            output: { booted: SNAPSHOTS['signed-current'].deployments[0], canRun: false, blockedBy: 'There is no earlier deployment on this computer.' },
          },
        },
      },
      { view: 'rollback' },
    );
    const wizard = app.rollback;
    await expectText(wizard.root(), 'There is no earlier deployment on this computer.');
    expect(await wizard.button('Continue').isDisabled()).toBe(true);
    await expectAccessible(app.page, 'rollback with no target');
  });
});
