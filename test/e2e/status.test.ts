// The status view and update details in Chromium against the fixture bridge: each health state's
// headline, badges and "who enforces" line; live updates; navigation from main; update actions.

import { CONTENT_SECURITY_POLICY } from '../../main/app/renderer-assets.ts';
import { describe, expect, it } from 'vitest';
import type { HostHealth, StatusSnapshot } from '../../preload/contract.ts';
import { VIEWPORTS, expectAccessible, expectNoSidewaysOverflow, newPage, saveScreenshot, useBrowser } from './support/browser.ts';
import { installFixture } from './support/fixture-bridge.ts';
import { ENFORCEMENT, FORGED_FAILURE, SNAPSHOTS, VERSIONS } from './support/fixtures.ts';
import { AppPage, expectText, expectVisible, occurrences } from './support/pages.ts';
import { openWithFixture } from './support/session.ts';

const browser = useBrowser();

/** What a user must read for each state: the state's name and where the main facts show. */
const EXPECTED: Record<HostHealth, { state: string; enforcement: string; cards: Record<string, string> }> = {
  'signed-current': {
    state: 'Signed and up to date',
    enforcement: ENFORCEMENT['key-enforced'].summary,
    cards: { 'Running now': 'Signature verified', Rollback: 'Signature verified' },
  },
  'update-ready': {
    state: 'Signed update ready',
    enforcement: ENFORCEMENT['app-enforced'].summary,
    cards: { 'Running now': 'Signature verified', 'Next restart': 'Signature verified', Rollback: 'Signature verified' },
  },
  'update-available': {
    state: 'Update available',
    enforcement: ENFORCEMENT['key-enforced'].summary,
    cards: { 'Running now': 'Signature verified' },
  },
  'needs-attention': {
    state: 'Needs attention',
    enforcement: ENFORCEMENT['app-enforced'].summary,
    cards: { 'Running now': 'Signature verified', 'Next restart': 'Signature check failed' },
  },
  unverified: {
    state: 'Unverified image',
    enforcement: ENFORCEMENT.none.summary,
    cards: { 'Running now': 'Signature verified' },
  },
  'restart-pending': {
    state: 'Changes at the next restart',
    enforcement: ENFORCEMENT['key-enforced'].summary,
    cards: { 'Running now': 'Signature verified', 'Next restart': 'Signature verified' },
  },
  'cannot-check': {
    state: 'Could not check',
    enforcement: ENFORCEMENT['key-enforced'].summary,
    cards: { 'Running now': 'Could not check the signature' },
  },
  checking: { state: 'Checking', enforcement: ENFORCEMENT['key-enforced'].summary, cards: { 'Running now': 'Signature verified' } },
  busy: { state: 'Working', enforcement: ENFORCEMENT['key-enforced'].summary, cards: { 'Running now': 'Signature verified' } },
  'no-daemon': { state: 'Update service unavailable', enforcement: 'Unknown: the update service is not answering', cards: {} },
};

describe('status view', () => {
  it('says a signature could not be checked, when it last verified, and never calls it a failure', async () => {
    const { app, problems } = await openWithFixture(browser, { status: SNAPSHOTS['cannot-check'] });
    const card = app.status.deployment('Running now');
    await expectText(card, /Why it was not checked\s*ghcr\.io\/acme\/vespera-nvidia could not be checked/);
    await expectText(card, /Last verified.*signed by build\.yml of github\.com\/acme\/vespera/);
    expect(await card.textContent()).not.toMatch(/failed/i);
    await saveScreenshot(app.page, 'status-cannot-check');
    expect(problems).toEqual([]);
  });

  it('names the next restart after a rollback and opens its card', async () => {
    const { app, problems } = await openWithFixture(browser, { status: SNAPSHOTS['restart-pending'] });
    await expectText(app.status.headline(), `Next restart: ${VERSIONS.old} (rollback)`);
    await expectText(app.status.deployment('Next restart'), VERSIONS.old);
    expect(await app.status.deployment('Next restart').locator('details').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it.each(Object.keys(EXPECTED) as HostHealth[])('shows the %s state in words, with signature badges and who enforces', async (health) => {
    const { app, problems } = await openWithFixture(browser, { status: SNAPSHOTS[health] });
    const expected = EXPECTED[health];

    await expectText(app.status.state(), expected.state);
    await expectText(app.status.headline(), SNAPSHOTS[health].headline);
    await expectText(app.enforcementLine(), expected.enforcement);
    for (const [title, badge] of Object.entries(expected.cards)) {
      await expectText(app.status.signatureBadge(app.status.deployment(title)), badge);
    }
    await expectAccessible(app.page, `status (${health})`);
    expect(problems).toEqual([]);
  });

  it('says who signed, the Rekor entry and whether the OS can see the signature', async () => {
    const { app } = await openWithFixture(browser, { status: SNAPSHOTS['signed-current'] });
    const running = app.status.deployment('Running now');
    await expectText(running, 'Signed by workflow build.yml (branch main) of github.com/acme/vespera, commit 4f2c9a1e7b3d');
    await expectText(running, 'Transparency log Rekor entry 152034877, 15 Nov 2026, 04:12');
    await expectText(running, 'Visible to the OS Yes, rpm-ostree can check it too.');
    await expectText(app.status.enforcementSection(), '/etc/pki/containers/vespera.pub');
  });

  it('warns when the OS cannot see the signature and the image reference is unverified', async () => {
    const { app } = await openWithFixture(browser, { status: SNAPSHOTS.unverified });
    const running = app.status.deployment('Running now');
    await expectText(running, 'No: only a cosign 3 bundle exists, which rpm-ostree cannot read, so the OS cannot enforce it.');
    await expectText(running, 'Unverified reference: the OS does not check its signature.');
    await expectVisible(app.status.action('Switch to a signed image…'));
  });

  it('says what ties a cosign 3 signature to this image, and warns when nothing does', async () => {
    const unbound = 'NOT BOUND: its signature names no repository and the image has no org.opencontainers.image.title label';
    const booted = SNAPSHOTS.unverified.deployments[0];
    if (!booted) throw new Error('the unverified fixture has no booted deployment');
    const status = { ...SNAPSHOTS.unverified, deployments: [{ ...booted, signature: { ...booted.signature, binding: { bound: false, description: unbound } } }] };
    const { app } = await openWithFixture(browser, { status });
    await expectText(app.status.deployment('Running now'), `Tied to this image ${unbound}`);
  });

  it('marks a staged update held until Restart now, and a failed one with its reason', async () => {
    const ready = await openWithFixture(browser, { status: SNAPSHOTS['update-ready'] });
    await expectText(ready.app.status.deployment('Next restart'), 'Held: boots only when you choose Restart now');

    const attention = await openWithFixture(browser, { status: SNAPSHOTS['needs-attention'] });
    await expectText(attention.app.view().locator('.headline-detail'), FORGED_FAILURE.message);
    await expectText(attention.app.status.notices().first(), 'Important: Do not restart into the staged update');
    await expectText(attention.app.status.signatureBadge(attention.app.status.deployment('Next restart')), 'Signature check failed');
  });

  it('says each reason once, though main gives it as the detail and in the signature, or in a notice', async () => {
    const attention = await openWithFixture(browser, { status: SNAPSHOTS['needs-attention'] });
    await expectText(attention.app.view().locator('.headline-detail'), FORGED_FAILURE.message);
    const screen = await attention.app.page.locator('body').innerText();
    expect(occurrences(screen, FORGED_FAILURE.message)).toBe(1);
    // The notices have reasons of their own, and stay.
    await expectText(attention.app.status.notices().nth(1), 'staged outside Vespera Updates');
    await saveScreenshot(attention.app.page, 'needs attention');
    // Where a notice holds the reason (with more words), the detail gives way to it.
    const inNotice = {
      ...SNAPSHOTS['needs-attention'],
      notices: [{ code: 'staged-not-verified', severity: 'critical', message: `Do not restart into the staged update: ${FORGED_FAILURE.message}`, action: 'discard-staged' }],
    } satisfies StatusSnapshot;
    await attention.fixture.emit('status.changed', inNotice);
    await expectText(attention.app.status.notices().first(), `Do not restart into the staged update: ${FORGED_FAILURE.message}`);
    expect(occurrences(await attention.app.page.locator('body').innerText(), FORGED_FAILURE.message)).toBe(1);

    const unverified = await openWithFixture(browser, { status: SNAPSHOTS.unverified });
    await expectText(unverified.app.status.headline(), SNAPSHOTS.unverified.headline);
    const words = await unverified.app.page.locator('body').innerText();
    expect(occurrences(words, ENFORCEMENT.none.detail)).toBe(1);
    // The summary is the header's "who enforces" line and the section's title, not a notice as well.
    expect(await unverified.app.status.notices().count()).toBe(0);
    await expectText(unverified.app.status.enforcementSection(), ENFORCEMENT.none.summary);
    await saveScreenshot(unverified.app.page, 'unverified');
  });

  it('shows a transaction someone else started, with its progress', async () => {
    const { app } = await openWithFixture(browser, { status: SNAPSHOTS.busy });
    const transaction = app.page.getByRole('group', { name: 'Operation in progress' });
    await expectText(transaction, 'Downloading an update (42%)');
    await expectText(transaction, 'Started outside Vespera Updates');
    expect(await transaction.getByRole('progressbar').getAttribute('value')).toBe('42');
  });

  it('follows status.changed live and says the new state aloud', async () => {
    const { app, fixture } = await openWithFixture(browser, { status: SNAPSHOTS['signed-current'] });
    await expectText(app.status.state(), 'Signed and up to date');
    await fixture.emit('status.changed', SNAPSHOTS['update-ready']);
    await expectText(app.status.state(), 'Signed update ready');
    await expectText(app.status.headline(), `restart to apply ${VERSIONS.newer}`);
    await expectText(app.announcer(), SNAPSHOTS['update-ready'].headline);
    await expectVisible(app.status.action('Restart now'));
  });

  it('opens the update details when main asks (a notification’s Details button)', async () => {
    const { app, fixture } = await openWithFixture(browser, { status: SNAPSHOTS['update-ready'] });
    await fixture.emit('navigate', { view: 'details' });
    await expectText(app.heading(), 'Update details');
    expect(await app.currentView()).toBe('details');
    // Focus moves to the view's heading so a screen reader announces where the user is.
    await expect.poll(() => app.heading().evaluate((element) => element.ownerDocument.activeElement === element)).toBe(true);
    expect(await app.navButton('Update').getAttribute('aria-current')).toBe('page');
  });

  it('runs Check for updates and shows its outcome', async () => {
    const { app, fixture } = await openWithFixture(browser, {
      status: SNAPSHOTS['signed-current'],
      commands: { 'update.check': { output: { ok: true, message: 'No newer signed image: 42.20261115.0 is the latest.' } } },
    });
    await app.status.action('Check for updates').click();
    await expectText(app.view().locator('.outcome-line'), 'No newer signed image');
    expect(await fixture.invocationsOf('update.check')).toEqual([null]);
  });

  it('asks before restarting, in plain words, then restarts', async () => {
    const { app, fixture } = await openWithFixture(browser, {
      status: SNAPSHOTS['update-ready'],
      commands: { 'update.restartNow': { output: { ok: true, message: 'Restarting into 42.20261125.0.' } } },
    });
    await app.status.action('Restart now').click();
    const confirm = app.view().getByRole('group', { name: 'Restart the computer now?' });
    await expectText(confirm, `save your work first. The computer starts ${VERSIONS.newer} after the restart.`);
    expect(await fixture.invocationsOf('update.restartNow')).toEqual([]);
    await saveScreenshot(app.page, 'confirm');
    await confirm.getByRole('button', { name: 'Restart now' }).click();
    await expectText(app.view().locator('.outcome-line'), 'Restarting into 42.20261125.0.');
    expect(await fixture.invocationsOf('update.restartNow')).toEqual([null]);
  });

  it('cancelling a confirmation with Escape changes nothing and returns focus', async () => {
    const { app, fixture } = await openWithFixture(browser, { status: SNAPSHOTS['update-ready'] });
    await app.status.action('Discard the staged update').click();
    await expectVisible(app.view().getByRole('group', { name: 'Discard the staged update?' }));
    await app.page.keyboard.press('Escape');
    await expect.poll(() => app.view().getByRole('group', { name: 'Discard the staged update?' }).count()).toBe(0);
    await expect.poll(() => app.status.action('Discard the staged update').evaluate((element) => element.ownerDocument.activeElement === element)).toBe(true);
    expect(await fixture.invocationsOf('update.discardStaged')).toEqual([]);
  });

  it('fits the tray popover without sideways scrolling', async () => {
    for (const health of ['update-ready', 'needs-attention', 'unverified'] as const) {
      const { app } = await openWithFixture(browser, { status: SNAPSHOTS[health] }, { viewport: VIEWPORTS.popover });
      await expectNoSidewaysOverflow(app.page, `${health} at 420 px`);
    }
  });
});

describe('update details', () => {
  it('shows a ready update: version, date, full digest, size and the full signature', async () => {
    const { app } = await openWithFixture(browser, { status: SNAPSHOTS['update-ready'] }, { view: 'details', viewport: VIEWPORTS.window });
    await expectText(app.details.summary(), `${VERSIONS.newer}: Ready: restart to apply`);
    await expectText(app.details.summary(), '25 Nov 2026, 04:00');
    await expectText(app.details.summary(), SNAPSHOTS['update-ready'].update?.digest ?? '');
    await expectText(app.details.summary(), '812 MB in 14 layers');
    await expectText(app.details.signature(), 'https://github.com/acme/vespera/.github/workflows/build.yml@refs/heads/main');
    await expectText(app.details.signature(), '4f2c9a1e7b3d5f60a8c2e4b6d8f0a1c3e5b7d9f1');
    await expectText(app.details.signature(), 'Rekor entry 155820113');
    await expectVisible(app.details.action('Restart now'));
    await expectVisible(app.details.action('Discard the staged update'));
    await expectAccessible(app.page, 'update details (ready)');
  });

  it('explains a failed update in plain words, and discarding it asks first', async () => {
    const { app, fixture } = await openWithFixture(
      browser,
      {
        status: SNAPSHOTS['needs-attention'],
        commands: {
          'update.discardStaged': {
            output: { ok: true, message: 'The staged update is gone.', hostState: `The computer keeps running ${VERSIONS.current}.` },
            statusAfter: SNAPSHOTS['signed-current'],
          },
        },
      },
      { view: 'details' },
    );
    await expectText(app.details.summary(), 'Did not pass the signature check');
    await expectText(app.details.summary(), `What went wrong and what to do: ${FORGED_FAILURE.message}`);
    await expectText(app.details.signature(), `Error code: ${FORGED_FAILURE.code}`);
    expect(occurrences(await app.view().innerText(), FORGED_FAILURE.message)).toBe(1);
    await expectAccessible(app.page, 'update details (failed)');
    await app.details.action('Discard the staged update').click();
    await app.view().getByRole('group', { name: 'Discard the staged update?' }).getByRole('button', { name: 'Discard' }).click();
    await expectText(app.view().locator('.outcome-line'), `The staged update is gone. The computer keeps running ${VERSIONS.current}.`);
    expect(await fixture.invocationsOf('update.discardStaged')).toEqual([null]);
  });

  it('says when no update is waiting', async () => {
    const { app } = await openWithFixture(browser, { status: SNAPSHOTS['signed-current'] }, { view: 'details' });
    await expectText(app.view(), 'No update is waiting. Vespera Updates last checked 26 Nov 2026, 09:30.');
  });
});

describe('the page itself', () => {
  it('runs under the strict CSP with no refusal, no inline code and no inline style', async () => {
    const { app, problems } = await openWithFixture(browser, { status: SNAPSHOTS['update-ready'] }, { viewport: VIEWPORTS.window });
    const csp = await app.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    // The page's policy is the header's, less frame-ancestors (which a meta element cannot carry).
    expect(csp).toBe(CONTENT_SECURITY_POLICY.replace("; frame-ancestors 'none'", ''));
    for (const view of ['Update', 'Doctor', 'Settings', 'Status'] as const) await app.open(view);
    const inline = await app.page.evaluate(() => ({
      scripts: document.querySelectorAll('script:not([src])').length,
      styles: document.querySelectorAll('style, [style]').length,
    }));
    expect(inline).toEqual({ scripts: 0, styles: 0 });
    expect(problems).toEqual([]);
  });

  it('opens on the view main names in the address (#details)', async () => {
    const { browser: chromium, url } = browser.harness();
    const { context, page } = await newPage(chromium);
    browser.track(context, page);
    await installFixture(page, { status: SNAPSHOTS['update-ready'] });
    await page.goto(`${url}index.html#details`);
    const app = new AppPage(page);
    await expectText(app.heading(), 'Update details');
    expect(await app.currentView()).toBe('details');
  });

  it('follows the system’s dark mode', async () => {
    const { app, problems } = await openWithFixture(browser, { status: SNAPSHOTS['update-ready'] }, { colorScheme: 'dark' });
    const background = await app.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const [red = 255, green = 255, blue = 255] = (background.match(/\d+/g) ?? []).map(Number);
    expect(red + green + blue, background).toBeLessThan(150);
    await expectAccessible(app.page, 'status in dark mode');
    expect(problems).toEqual([]);
  });
});
