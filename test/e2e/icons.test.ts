// The tray and app icons as a panel shows them: all five states at 22 and 44 px for light and dark
// panels, told apart by shape (not only colour), and with glyphs that stand out from either panel.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { newPage, useBrowser } from './support/browser.ts';

const ICONS = fileURLToPath(new URL('../../build/icons/', import.meta.url));
/** main/app/tray-model.ts's TrayIcon: signed and current, update ready, working, attention, unverified. */
const STATES = ['signed', 'ready', 'busy', 'attention', 'unverified'] as const;
/** The panel colours the icons are drawn for (scripts/render-icons.ts). */
const PANELS = { light: [0xf6, 0xf5, 0xf4], dark: [0x24, 0x24, 0x24] } as const;

const browser = useBrowser();

interface Pixels {
  readonly width: number;
  readonly height: number;
  /** RGBA, row by row. */
  readonly data: number[];
}

/** Decodes PNG files with Chromium's own decoder (no image library needed). */
async function decode(files: readonly string[]): Promise<Pixels[]> {
  const { context, page } = await newPage(browser.harness().browser);
  browser.track(context, page);
  const sources = await Promise.all(files.map(async (file) => `data:image/png;base64,${(await readFile(file)).toString('base64')}`));
  return page.evaluate(async (urls) => {
    const results: Array<{ width: number; height: number; data: number[] }> = [];
    for (const url of urls) {
      const image = new Image();
      image.src = url;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context2d = canvas.getContext('2d');
      if (!context2d) throw new Error('no 2d canvas');
      context2d.drawImage(image, 0, 0);
      results.push({ width: canvas.width, height: canvas.height, data: [...context2d.getImageData(0, 0, canvas.width, canvas.height).data] });
    }
    return results;
  }, sources);
}

function luminance([r, g, b]: readonly number[]): number {
  const linear = (value = 0): number => {
    const c = value / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

function contrast(a: readonly number[], b: readonly number[]): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** The pixels a glyph covers (mostly opaque). */
function opaque(pixels: Pixels): boolean[] {
  const mask: boolean[] = [];
  for (let index = 3; index < pixels.data.length; index += 4) mask.push((pixels.data[index] ?? 0) > 160);
  return mask;
}

describe('tray icons', () => {
  it('exist for every state, at 22 and 44 px, for light and dark panels', async () => {
    const files = STATES.flatMap((state) =>
      Object.keys(PANELS).flatMap((panel) => [join(ICONS, 'tray', `tray-${state}-${panel}.png`), join(ICONS, 'tray', `tray-${state}-${panel}@2x.png`)]),
    );
    const decoded = await decode(files);
    expect(decoded.map((pixels) => `${pixels.width}x${pixels.height}`)).toEqual(files.map((file) => (file.endsWith('@2x.png') ? '44x44' : '22x22')));
    for (const [index, pixels] of decoded.entries()) {
      const covered = opaque(pixels).filter(Boolean).length / (pixels.width * pixels.height);
      // A glyph, not a speck and not a filled square.
      expect(covered, files[index]).toBeGreaterThan(0.15);
      expect(covered, files[index]).toBeLessThan(0.75);
    }
  });

  it('are told apart by shape alone', async () => {
    const masks = (await decode(STATES.map((state) => join(ICONS, 'tray', `tray-${state}-light.png`)))).map(opaque);
    for (let a = 0; a < STATES.length; a += 1) {
      for (let b = a + 1; b < STATES.length; b += 1) {
        const differing = (masks[a] ?? []).filter((covered, index) => covered !== masks[b]?.[index]).length;
        // At least a tenth of the 22 × 22 square differs between any two states' silhouettes.
        expect(differing, `${STATES[a]} vs ${STATES[b]}`).toBeGreaterThan(48);
      }
    }
  });

  it('stand out from the panel they are drawn for', async () => {
    for (const [panel, background] of Object.entries(PANELS)) {
      const decoded = await decode(STATES.map((state) => join(ICONS, 'tray', `tray-${state}-${panel}.png`)));
      for (const [index, pixels] of decoded.entries()) {
        const solid: number[][] = [];
        for (let offset = 0; offset < pixels.data.length; offset += 4) {
          if ((pixels.data[offset + 3] ?? 0) > 230) solid.push(pixels.data.slice(offset, offset + 3));
        }
        const legible = solid.filter((rgb) => contrast(rgb, background) >= 3).length;
        // WCAG's 3:1 for graphics, for (nearly) every solid pixel of the glyph.
        expect(legible / solid.length, `${STATES[index] ?? ''} ${panel}`).toBeGreaterThan(0.95);
      }
    }
  });
});

describe('app icon', () => {
  it('is a 256 px PNG', async () => {
    const [pixels] = await decode([join(ICONS, '256x256.png')]);
    expect(pixels && `${pixels.width}x${pixels.height}`).toBe('256x256');
  });
});
