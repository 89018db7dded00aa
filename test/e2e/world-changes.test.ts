// What a staged update changes, end to end on the test world at 480 px: the notification read on the
// session bus, the update details and `vespera-updates changes --json` name the same packages (kernel
// and NVIDIA first) and the commit and build run from the certificates; the rollback preview too.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangesView } from '../../preload/contract.ts';
import { notificationsIn } from '../sim/notification-server.ts';
import { runCliJson } from '../support/cli.ts';
import { CURRENT, NEWER, OLD, SOURCE_REPOSITORY } from '../world/catalog.ts';
import { startWorldApp, type WorldApp } from '../world/app.ts';
import { runOfCommit } from '../world/sigstore/fulcio.ts';
import { releaseCommit } from '../world/sigstore/part.ts';
import { ALL_IMPACTS, expectAccessible, newPage, saveScreenshot, useBrowser, watchPageProblems } from './support/browser.ts';
import { AppPage, expectText, expectVisible } from './support/pages.ts';

const browser = useBrowser();
const NARROW = { width: 480, height: 800 } as const;

describe('the changes of a staged update on the test world', () => {
  let running: WorldApp;
  beforeAll(async () => {
    running = await startWorldApp({ scenario: 'staged-update', firstCheckAfterMs: 60 * 60_000 });
  });
  afterAll(async () => {
    await running.stop();
  });

  it('the notification, the update details and `changes --json` show the same packages and the certificates’ commit and run', async () => {
    const cli = await runCliJson<ChangesView>(running.world, ['changes']);
    expect(cli.code).toBe(0);
    const names = cli.json.packages.changes.map((c) => c.name);
    expect(names.slice(0, 6)).toEqual(['kernel', 'kernel-core', 'kernel-modules', 'kernel-modules-core', 'kernel-modules-extra', 'nvidia-driver']);

    const server = notificationsIn(running.world);
    const [notice] = await server.waitForSent(1, 30_000);
    expect(notice?.summary).toBe('Signed update ready');
    expect(notice?.body).toContain(`Changes: ${cli.json.packages.summary}.`);
    expect(cli.json.packages.summary).toBe('kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 20 more');

    const { context, page } = await newPage(browser.harness().browser, { viewport: NARROW });
    browser.track(context, page);
    const problems = watchPageProblems(page);
    await page.goto(`${running.bridge.url}&view=details`);
    const app = new AppPage(page);
    await expectText(app.details.summary(), NEWER.version);
    const changes = app.details.changes;
    await expectVisible(changes.packages().getByRole('table'));
    expect(await changes.packageOrder()).toEqual(names);

    const commit = releaseCommit(SOURCE_REPOSITORY, NEWER.version);
    const runningCommit = releaseCommit(SOURCE_REPOSITORY, CURRENT.version);
    await expectText(changes.source(), `Built from commit ${commit.slice(0, 7)} (running: ${runningCommit.slice(0, 7)})`);
    expect(await changes.source().getByRole('link', { name: /Compare the two commits/ }).getAttribute('href')).toBe(`${SOURCE_REPOSITORY}/compare/${runningCommit}...${commit}`);
    expect(await changes.source().getByRole('link', { name: /The build run that made it/ }).getAttribute('href')).toBe(
      `${SOURCE_REPOSITORY}/actions/runs/${runOfCommit(commit).id}/attempts/1`,
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    await expectAccessible(page, 'update details on the world', ALL_IMPACTS);
    await saveScreenshot(page, 'details');

    // The rollback preview: booted against the rollback target, not against the staged update.
    await app.open('Status');
    await app.status.action('Roll back…').click();
    await app.rollback.expectStep('Preview');
    const back = app.rollback.changes;
    await expectText(back.packages(), 'kernel 6.17.8 → 6.17.7, NVIDIA 580.95.05 → 580.82.09');
    await expectText(back.source(), `Built from commit ${releaseCommit(SOURCE_REPOSITORY, OLD.version).slice(0, 7)} (running: ${runningCommit.slice(0, 7)})`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    await expectAccessible(page, 'rollback preview on the world', ALL_IMPACTS);
    await saveScreenshot(page, 'rollback preview');
    expect(problems).toEqual([]);
  });
});
