// Opens the built renderer in a fresh Chromium page with the fixture bridge installed, and hands the
// test the page objects, the double's driver and the list of page problems (CSP refusals, errors).

import type { View } from '../../../preload/contract.ts';
import { newPage, watchPageProblems, type OpenOptions, type useBrowser } from './browser.ts';
import { installFixture, type FixtureDriver, type FixtureScenario } from './fixture-bridge.ts';
import { AppPage, expectVisible } from './pages.ts';

export interface FixtureSession {
  readonly app: AppPage;
  readonly fixture: FixtureDriver;
  /** CSP refusals and uncaught errors seen so far; a test ends by expecting it empty. */
  readonly problems: string[];
}

export async function openWithFixture(
  browser: ReturnType<typeof useBrowser>,
  scenario: FixtureScenario,
  options: OpenOptions & { readonly view?: View } = {},
): Promise<FixtureSession> {
  const { browser: chromium, url } = browser.harness();
  const { context, page } = await newPage(chromium, options);
  browser.track(context, page);
  const problems = watchPageProblems(page);
  const fixture = await installFixture(page, scenario);
  await page.goto(options.view ? `${url}#view=${options.view}` : url);
  const app = new AppPage(page);
  await expectVisible(app.heading());
  return { app, fixture, problems };
}
