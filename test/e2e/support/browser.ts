// The e2e harness: Debian's Chromium driven by playwright-core, a static server for the built
// renderer, one screenshot per test in test-results/screenshots/, and the axe-core accessibility gate.

import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { rendererFile } from '../../../main/app/renderer-assets.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const RENDERER_DIST = join(ROOT, 'dist', 'renderer');
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');
export const CHROMIUM = '/usr/bin/chromium';

/** The tray popover, the narrow window every view must fit, and the larger details window. */
export const VIEWPORTS = {
  popover: { width: 420, height: 600 },
  narrow: { width: 480, height: 720 },
  window: { width: 1000, height: 760 },
} as const;

/**
 * Headless Debian Chromium. playwright-core's `launch` gives every browser a fresh temporary profile
 * (its own --user-data-dir, removed on close), so runs never share state.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the renderer's folder on loopback, GET only, resolving paths as the app:// protocol does. */
export async function serveDirectory(folder: string): Promise<StaticServer> {
  const root = resolve(folder);
  const server: Server = createServer((request, response) => {
    const asset = request.method === 'GET' ? rendererFile(root, new URL(request.url ?? '/', 'http://localhost').pathname) : undefined;
    if (!asset) {
      response.writeHead(404).end();
      return;
    }
    stat(asset.path).then(
      (info) => {
        if (!info.isFile()) throw new Error('not a file');
        response.writeHead(200, { 'Content-Type': asset.type, 'Cache-Control': 'no-store' });
        createReadStream(asset.path).pipe(response);
      },
      () => response.writeHead(404).end(),
    ).catch(() => response.writeHead(404).end());
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

export interface OpenOptions {
  readonly colorScheme?: 'light' | 'dark';
  readonly viewport?: { readonly width: number; readonly height: number };
}

/** A fresh context per page: own storage, fixed locale and time zone so dates read the same everywhere. */
export async function newPage(browser: Browser, options: OpenOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? VIEWPORTS.popover,
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const page = await context.newPage();
  return { context, page };
}

/**
 * Collects what the page's CSP refused, and uncaught errors. The `frame-ancestors` notice is expected:
 * it is ignored in a <meta> policy, so Chromium says so; a server must also send it as a header.
 */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !text.includes("'frame-ancestors' is ignored")) problems.push(`console: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 120);
}

/** Saves a full-page screenshot named after the current test (plus `moment`), and returns its path. */
export async function saveScreenshot(page: Page, moment?: string): Promise<string> {
  const test = expect.getState().currentTestName ?? 'screenshot';
  const file = join(SCREENSHOT_DIR, `${slug(moment ? `${test} ${moment}` : test)}.png`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // Grow the viewport to the whole page first, so sticky bars sit where they end up rather than
  // over the middle of a stitched full-page image.
  const viewport = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (viewport && height > viewport.height) await page.setViewportSize({ width: viewport.width, height });
  await page.screenshot({ path: file });
  if (viewport && height > viewport.height) await page.setViewportSize(viewport);
  return file;
}

/**
 * Fails when the page scrolls sideways (the document wider than the window) or any element, or any
 * line of text, reaches past the window's edges, naming each. What sits inside a box that scrolls or
 * clips on its own (a diff, a table) is that box's business: only the box itself must fit.
 */
export async function expectNoSidewaysOverflow(page: Page, label: string): Promise<void> {
  const found = await page.evaluate(() => {
    const width = window.innerWidth;
    const clipped = (node: Node): boolean => {
      for (let parent = node.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
        if (getComputedStyle(parent).overflowX !== 'visible') return true;
      }
      return false;
    };
    const wide: string[] = [];
    const check = (node: Node, box: DOMRect, what: string): void => {
      // Not drawn, or a 1 px box that only screen readers read (.visually-hidden).
      if (box.width <= 1 && box.height <= 1) return;
      if (box.left >= -0.5 && box.right <= width + 0.5) return;
      if (!clipped(node)) wide.push(`${what} spans ${Math.round(box.left)}–${Math.round(box.right)} px`);
    };
    const quote = (text: string | null): string => `"${(text ?? '').replace(/\s+/g, ' ').trim().slice(0, 60)}"`;
    for (const element of document.body.querySelectorAll('*')) {
      const classes = [...element.classList].map((c) => `.${c}`).join('');
      check(element, element.getBoundingClientRect(), `<${element.tagName.toLowerCase()}${classes}> ${quote(element.textContent)}`);
    }
    // Text can run out of a box that itself fits (a long word in a paragraph).
    const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let text = texts.nextNode(); text; text = texts.nextNode()) {
      if (!text.textContent?.trim()) continue;
      range.selectNodeContents(text);
      check(text, range.getBoundingClientRect(), `text ${quote(text.textContent)}`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, width, wide };
  });
  expect(found.wide, `${label}: elements past the ${found.width} px window`).toEqual([]);
  expect(found.scrollWidth, `${label}: document width`).toBeLessThanOrEqual(found.width);
}

export const ALL_IMPACTS = ['critical', 'serious', 'moderate', 'minor'] as const;

/** Fails on any axe-core violation of these impacts (critical by default), listing what and where. */
export async function expectAccessible(page: Page, label: string, impacts: readonly string[] = ['critical']): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const violations = results.violations
    .filter((violation) => impacts.includes(violation.impact ?? ''))
    .map((violation) => `${violation.impact}: ${violation.id} (${violation.help}) at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  expect(violations, `accessibility of ${label}`).toEqual([]);
}

export interface Harness {
  readonly browser: Browser;
  /** Where the built renderer is served. */
  readonly url: string;
}

/**
 * Registers the per-file lifecycle: one Chromium and one renderer server for the file, and after
 * each test a screenshot of every page it opened, then the pages' contexts closed.
 */
export function useBrowser(): { harness(): Harness; track(context: BrowserContext, page: Page): void } {
  let browser: Browser | undefined;
  let server: StaticServer | undefined;
  const open: Array<{ context: BrowserContext; page: Page }> = [];

  beforeAll(async () => {
    const built = await stat(join(RENDERER_DIST, 'index.html')).catch(() => null);
    if (!built) throw new Error('dist/renderer is missing: run `npm run build` first (./run test does).');
    [browser, server] = await Promise.all([launchChromium(), serveDirectory(RENDERER_DIST)]);
  });

  afterEach(async () => {
    const pages = open.splice(0);
    for (const [index, { page }] of pages.entries()) {
      if (!page.isClosed()) await saveScreenshot(page, pages.length > 1 ? `page ${index + 1}` : undefined);
    }
    await Promise.all(pages.map(({ context }) => context.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  return {
    harness() {
      if (!browser || !server) throw new Error('useBrowser(): the browser is not up yet (call harness() inside a test)');
      return { browser, url: server.url };
    },
    track(context, page) {
      open.push({ context, page });
    },
  };
}

