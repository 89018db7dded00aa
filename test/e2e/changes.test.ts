// What an update and a rollback change, in Chromium against the fixture bridge at 480 px: the source
// the certificates vouch for (commit, comparison, build run) or that there is none, and the packages,
// headline first; in light and dark, through axe, without sideways scrolling.

import { describe, expect, it } from 'vitest';
import { ALL_IMPACTS, expectAccessible, saveScreenshot, useBrowser } from './support/browser.ts';
import { AVAILABLE_KEY_ONLY, COMMITS, KNOWN_SOURCE, LARGE_UPDATE, READY_WITH_CHANGES, ROLLBACK_WITH_CHANGES, RUN_URL } from './support/change-fixtures.ts';
import { expectText, expectVisible, type AppPage } from './support/pages.ts';
import { openWithFixture } from './support/session.ts';

const browser = useBrowser();
const NARROW = { width: 480, height: 800 } as const;

async function sidewaysOverflow(app: AppPage): Promise<number> {
  return await app.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe.each(['light', 'dark'] as const)('changes at 480 px in %s mode', (colorScheme) => {
  it('update details: the certificates’ commit and build run, then the packages with the kernel and NVIDIA first', async () => {
    const { app, problems } = await openWithFixture(browser, { status: READY_WITH_CHANGES }, { view: 'details', viewport: NARROW, colorScheme });
    const changes = app.details.changes;
    await expectText(changes.source(), 'Built from commit 7fb1b12 (running: d9ef04f)');
    await expectText(changes.source(), 'unlike the labels, tags and dates the registry shows');
    const compare = changes.source().getByRole('link', { name: 'Compare the two commits on github.com' });
    expect(await compare.getAttribute('href')).toBe(KNOWN_SOURCE.compareUrl);
    expect(await compare.getAttribute('target')).toBe('_blank');
    expect(await changes.source().getByRole('link', { name: /The build run that made it/ }).getAttribute('href')).toBe(RUN_URL);
    await expectText(changes.source(), COMMITS.current);

    await expectText(changes.packages(), '6 upgraded, 1 downgraded, 1 added, 1 removed: kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 5 more');
    expect((await changes.packageOrder()).slice(0, 4)).toEqual(['kernel', 'kernel-core', 'nvidia-driver', 'kmod-nvidia']);
    expect(await changes.groups()).toEqual(['kernel', 'NVIDIA', 'mesa', 'Other packages']);
    await expectText(changes.packages().locator('tr[data-package="nvidia-driver"]'), 'nvidia-driver upgraded 3:580.95.05-1.fc42 3:580.105.08-1.fc42');
    await expectText(changes.packages().locator('tr[data-package="htop"]'), 'htop removed 3.4.1-1.fc42 removed');
    await expectText(changes.packages().locator('tr[data-package="fastfetch"]'), 'fastfetch new not installed 2.55.0-1.fc42');

    expect(await sidewaysOverflow(app)).toBe(0);
    await expectAccessible(app.page, `update details with changes (${colorScheme})`, ALL_IMPACTS);
    await saveScreenshot(app.page, 'details');
    expect(problems).toEqual([]);
  });

  it('rollback preview: what going back changes, booted against the rollback target', async () => {
    const { app, problems } = await openWithFixture(browser, { status: READY_WITH_CHANGES, commands: { 'rollback.preview': { output: ROLLBACK_WITH_CHANGES } } }, { view: 'rollback', viewport: NARROW, colorScheme });
    const changes = app.rollback.changes;
    await expectText(changes.source(), 'Built from commit 5be8a40 (running: d9ef04f)');
    await expectText(changes.packages(), 'kernel 6.17.8 → 6.17.7, NVIDIA 580.95.05 → 580.82.09, 2 more');
    await expectText(changes.packages().getByRole('columnheader').last(), 'After rolling back');
    expect((await changes.packageOrder()).slice(0, 2)).toEqual(['kernel', 'nvidia-driver']);
    expect(await sidewaysOverflow(app)).toBe(0);
    await expectAccessible(app.page, `rollback preview with changes (${colorScheme})`, ALL_IMPACTS);
    await saveScreenshot(app.page, 'rollback preview');
    expect(problems).toEqual([]);
  });
});

describe('changes before staging and without a source', () => {
  it('an update not downloaded yet: packages come once it is staged, the layers now; a key-only signature names no source', async () => {
    const { app, problems } = await openWithFixture(browser, { status: AVAILABLE_KEY_ONLY }, { view: 'details', viewport: NARROW });
    const changes = app.details.changes;
    await expectText(changes.packages(), 'Package changes appear once the update is staged');
    await expectText(changes.packages(), 'Download 3 of 4 layers (246 MB)');
    expect(await changes.packages().getByRole('table').count()).toBe(0);
    await expectText(changes.source(), 'No source information: signed with a key only.');
    await expectText(changes.source(), 'A key signature carries no source repository, commit or build run');
    expect(await changes.source().getByRole('link').count()).toBe(0);
    expect(await sidewaysOverflow(app)).toBe(0);
    await expectAccessible(app.page, 'update not staged, key-only', ALL_IMPACTS);
    await saveScreenshot(app.page, 'not staged');
    expect(problems).toEqual([]);
  });

  it('a rebase-sized list shows its first rows, the rest on request, long names wrapped', async () => {
    const { app } = await openWithFixture(browser, { status: LARGE_UPDATE }, { view: 'details', viewport: NARROW });
    const changes = app.details.changes;
    await expectVisible(changes.packages().getByRole('table'));
    expect(await changes.packageOrder()).toHaveLength(40);
    await changes.packages().getByRole('button', { name: 'Show all 2,009 package changes' }).click();
    await expect.poll(async () => (await changes.packageOrder()).length, { timeout: 15_000 }).toBe(2009);
    // The list scrolls inside its card: the page stays short.
    expect(await app.page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThan(3000);
    expect(await sidewaysOverflow(app)).toBe(0);
  });
});
