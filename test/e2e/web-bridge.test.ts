// The page's half of the web bridge in Chromium, against a double of the demo server: the token from
// the address, bearer auth on every request, commands, the NDJSON event stream and its reconnection.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWebBridge } from '../../main/web/bridge-server.ts';
import type { CommandName, CommandOutput, VesperaApi } from '../../preload/contract.ts';
import { RENDERER_DIST, newPage, useBrowser, watchPageProblems } from './support/browser.ts';
import { MIGRATION_KEY, SNAPSHOTS } from './support/fixtures.ts';
import { AppPage, expectText, expectVisible } from './support/pages.ts';
import { startWebBridgeDouble, type WebBridgeDouble } from './support/web-bridge-double.ts';

const browser = useBrowser();
const TOKEN = 'k3Jx9-Q2vLw_8Tn4pZr7Yh1cB6dF0sGa';
let server: WebBridgeDouble;

beforeEach(async () => {
  server = await startWebBridgeDouble(RENDERER_DIST, TOKEN);
  server.reply('status.get', { ok: true, output: SNAPSHOTS['signed-current'] });
});

afterEach(async () => {
  await server.close();
});

async function open(address: string): Promise<{ app: AppPage; problems: string[] }> {
  const { context, page } = await newPage(browser.harness().browser);
  browser.track(context, page);
  const problems = watchPageProblems(page);
  await page.goto(address);
  return { app: new AppPage(page), problems };
}

describe('web bridge', () => {
  it('takes the token from the address, hides it, and sends it with every request', async () => {
    const { app, problems } = await open(`${server.origin}/#token=${TOKEN}&view=details`);
    await expectText(app.heading(), 'Update details');
    expect(app.page.url()).toBe(`${server.origin}/`);
    await expect.poll(() => server.streamsOpened()).toBe(1);
    const api = server.requests.filter((request) => request.path.startsWith('/api/'));
    expect(api.length).toBeGreaterThanOrEqual(2);
    expect(new Set(api.map((request) => request.authorization))).toEqual(new Set([`Bearer ${TOKEN}`]));
    expect(api.find((request) => request.path === '/api/invoke')?.body).toEqual({ command: 'status.get', input: null });
    expect(problems).toEqual([]);
  });

  it('shows what main says and follows the events it pushes', async () => {
    const { app } = await open(`${server.origin}/#token=${TOKEN}`);
    await expectText(app.status.headline(), SNAPSHOTS['signed-current'].headline);
    await expect.poll(() => server.streamsOpened()).toBe(1);
    // Non-ASCII on purpose: the double cuts the line inside the dash's UTF-8 bytes.
    server.push('status.changed', { ...SNAPSHOTS['update-ready'], headline: 'Signed update ready — restart to apply 42.20261125.0' });
    await expectText(app.status.headline(), 'Signed update ready — restart to apply 42.20261125.0');
    server.push('navigate', { view: 'doctor' });
    await expect.poll(() => app.currentView()).toBe('doctor');
  });

  it('reconnects the event stream when it drops, and is current again', async () => {
    const { app } = await open(`${server.origin}/#token=${TOKEN}`);
    await expect.poll(() => server.streamsOpened()).toBe(1);
    server.reply('status.get', { ok: true, output: SNAPSHOTS.unverified });
    server.dropStreams();
    // Nothing is pushed on reconnecting (as with the real server): the page asks for the status itself.
    await expect.poll(() => server.streamsOpened(), { timeout: 15_000 }).toBe(2);
    await expectText(app.status.headline(), SNAPSHOTS.unverified.headline);
    server.push('status.changed', SNAPSHOTS['update-ready']);
    await expectText(app.status.headline(), SNAPSHOTS['update-ready'].headline);
  });

  it('keeps working after a reload of the same tab', async () => {
    const { app } = await open(`${server.origin}/#token=${TOKEN}`);
    await expectText(app.status.headline(), SNAPSHOTS['signed-current'].headline);
    await app.page.reload();
    await expectText(app.status.headline(), SNAPSHOTS['signed-current'].headline);
    expect(server.requests.filter((request) => request.path === '/api/invoke').every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('shows a failed command in its own words', async () => {
    server.reply('migration.preview', { ok: false, error: { code: 'registry-unreachable', message: 'ghcr.io did not answer. Check the network and try again.' } });
    const { app } = await open(`${server.origin}/#token=${TOKEN}&view=migration`);
    await expectText(app.migration.root().getByRole('alert'), 'ghcr.io did not answer. Check the network and try again.');
    server.reply('migration.preview', { ok: true, output: MIGRATION_KEY });
    await app.migration.button('Try again').click();
    await app.migration.waitForPreview();
  });

  it('with a wrong token, says the page is no longer connected and stops asking', async () => {
    const { app } = await open(`${server.origin}/#token=not-the-token`);
    await expectVisible(app.page.getByRole('alert'));
    await expectText(app.page.getByRole('alert'), 'This page is no longer connected to Vespera Updates.');
    const streamsTried = server.requests.filter((request) => request.path === '/api/events').length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.requests.filter((request) => request.path === '/api/events').length).toBe(streamsTried);
  });
});

describe('web bridge with main’s own server', () => {
  it('speaks the same protocol: status, pushed events, commands and their failures', async () => {
    // A backend double in Node behind the real server (main/web/bridge-server.ts).
    const listeners = new Map<string, Set<(payload: unknown) => void>>();
    let statusAsked = 0;
    const backend: VesperaApi = {
      invoke: async <C extends CommandName>(command: C): Promise<CommandOutput<C>> => {
        if (command === 'status.get') {
          statusAsked += 1;
          return SNAPSHOTS['signed-current'];
        }
        return Promise.reject(Object.assign(new Error('The registry did not answer; try again later.'), { code: 'registry-unreachable' }));
      },
      on: (event, listener) => {
        const set = listeners.get(event) ?? new Set();
        listeners.set(event, set);
        set.add(listener as (payload: unknown) => void);
        return () => set.delete(listener as (payload: unknown) => void);
      },
    };
    const bridge = await startWebBridge({ backend, rendererRoot: RENDERER_DIST });
    try {
      const { app, problems } = await open(bridge.url);
      await expectText(app.status.headline(), SNAPSHOTS['signed-current'].headline);
      await expect.poll(() => app.page.url()).toBe(`${bridge.origin}/`);
      // The stream is up once the page has asked for the status a second time (on connecting).
      await expect.poll(() => statusAsked).toBe(2);
      for (const listener of listeners.get('status.changed') ?? []) listener(SNAPSHOTS['update-ready']);
      await expectText(app.status.headline(), SNAPSHOTS['update-ready'].headline);
      await app.status.action('Restart now').click();
      await app.view().getByRole('group', { name: 'Restart the computer now?' }).getByRole('button', { name: 'Restart now' }).click();
      await expectText(app.view().locator('.outcome-line'), 'The registry did not answer; try again later.');
      expect(problems).toEqual([]);
    } finally {
      await bridge.close();
    }
  });
});
