// `npm run icons`: renders the tray icons (build/icons/tray/STATE.svg) to PNG at 22 and 44 px for light
// and dark panels, and the app icon to 256 px, in Debian's Chromium. The PNGs are committed.
//
// Names follow main/app/tray.ts: tray-STATE-PANEL.png, PANEL being the panel's own colour (light panels
// get dark glyphs). Electron's Linux tray needs PNG and picks up the @2x file on HiDPI screens.
// Also writes test-results/icons-preview.png: every icon on both panels, for people to look at.

import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ICONS = join(ROOT, 'build', 'icons');
const TRAY = join(ICONS, 'tray');

/** The colours of each panel's glyphs: GNOME's symbolic icon colours, plus the two accents. */
export const PANELS = {
  light: { glyph: '#2e3436', accent: '#1c71d8', warning: '#c64600', panel: '#f6f5f4' },
  dark: { glyph: '#f6f5f4', accent: '#62a0ea', warning: '#ff7800', panel: '#242424' },
} as const;

/** Colours an icon for a panel by adding a style sheet, which wins over the SVG's own fill attributes. */
function colour(svg: string, panel: (typeof PANELS)[keyof typeof PANELS]): string {
  const style = `<style>svg{color:${panel.glyph}}.accent{fill:${panel.accent};stroke:${panel.accent}}.warning{fill:${panel.warning};stroke:${panel.warning}}</style>`;
  return svg.replace(/<svg([^>]*)>/, `<svg$1>${style}`);
}

function dataUrl(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

async function render(browser: Browser, svg: string, size: number, scale: number): Promise<Buffer> {
  const context = await browser.newContext({ viewport: { width: size, height: size }, deviceScaleFactor: scale });
  try {
    const page = await context.newPage();
    // setContent waits for the load event, so the image is decoded before the screenshot.
    await page.setContent(`<html><body style="margin:0;background:transparent"><img src="${dataUrl(svg)}" width="${size}" height="${size}"></body></html>`);
    return await page.locator('img').screenshot({ omitBackground: true });
  } finally {
    await context.close();
  }
}

/** The rendered PNGs on each panel: actual size, and the same pixels enlarged 4× so each one shows. */
async function preview(browser: Browser, rendered: ReadonlyArray<{ name: string; panel: keyof typeof PANELS; x1: Buffer; x2: Buffer }>): Promise<Buffer> {
  const rows = (Object.keys(PANELS) as Array<keyof typeof PANELS>).map((panelName) => {
    const panel = PANELS[panelName];
    const cells = rendered
      .filter((icon) => icon.panel === panelName)
      .map(({ name, x1, x2 }) => {
        const one = `data:image/png;base64,${x1.toString('base64')}`;
        const two = `data:image/png;base64,${x2.toString('base64')}`;
        return `<figure><img src="${one}" width="22" height="22"><img src="${two}" width="22" height="22" class="hidpi"><img src="${one}" width="88" height="88" class="zoom"><img src="${two}" width="88" height="88" class="zoom"><figcaption>${name}</figcaption></figure>`;
      })
      .join('');
    return `<section style="background:${panel.panel};color:${panel.glyph}"><h2>${panelName} panel (22 px, 44 px shown at 22, then both enlarged)</h2>${cells}</section>`;
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 420 }, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    await page.setContent(
      `<html><head><style>body{margin:0;font:13px sans-serif}section{padding:12px 16px;display:flex;flex-wrap:wrap;gap:22px;align-items:end}h2{width:100%;margin:0;font-size:14px}figure{margin:0;display:flex;gap:8px;align-items:end}figcaption{writing-mode:vertical-rl;font-size:11px}.zoom{image-rendering:pixelated}</style></head><body>${rows.join('')}</body></html>`,
    );
    return await page.screenshot({ fullPage: true });
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  const names = (await readdir(TRAY)).filter((file) => file.endsWith('.svg')).sort();
  const icons = await Promise.all(names.map(async (file) => ({ name: basename(file, '.svg'), svg: await readFile(join(TRAY, file), 'utf8') })));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const rendered: Array<{ name: string; panel: keyof typeof PANELS; x1: Buffer; x2: Buffer }> = [];
    for (const { name, svg } of icons) {
      for (const panelName of Object.keys(PANELS) as Array<keyof typeof PANELS>) {
        const coloured = colour(svg, PANELS[panelName]);
        const x1 = await render(browser, coloured, 22, 1);
        const x2 = await render(browser, coloured, 22, 2);
        await writeFile(join(TRAY, `tray-${name}-${panelName}.png`), x1);
        await writeFile(join(TRAY, `tray-${name}-${panelName}@2x.png`), x2);
        rendered.push({ name, panel: panelName, x1, x2 });
      }
    }
    const app = await readFile(join(ICONS, 'app.svg'), 'utf8');
    await writeFile(join(ICONS, '256x256.png'), await render(browser, app, 256, 1));
    await mkdir(join(ROOT, 'test-results'), { recursive: true });
    await writeFile(join(ROOT, 'test-results', 'icons-preview.png'), await preview(browser, rendered));
    console.log(`rendered ${icons.length} tray icons × ${Object.keys(PANELS).length} panels × 2 sizes, and the app icon; preview in test-results/icons-preview.png`);
  } finally {
    await browser.close();
  }
}

await main();
