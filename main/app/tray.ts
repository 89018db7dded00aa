// The tray icon and its menu, rebuilt from a TrayPresentation on every change (Linux trays only pick
// up a changed menu when setContextMenu is called again).

import { join } from 'node:path';
import { Menu, nativeImage, nativeTheme, Tray, type MenuItemConstructorOptions } from 'electron';
import type { ActionId, View } from '../../preload/contract.ts';
import type { TrayIcon, TrayMenuItem, TrayPresentation } from './tray-model.ts';

export interface TrayHandlers {
  action(action: ActionId | 'quit'): void;
  open(view: View): void;
  toggleAutostart(enabled: boolean): void;
}

export class AppTray {
  readonly #tray: Tray;
  readonly #iconDir: string;
  readonly #handlers: TrayHandlers;
  #icon: TrayIcon | undefined;

  constructor(iconDir: string, handlers: TrayHandlers, initial: TrayPresentation) {
    this.#iconDir = iconDir;
    this.#handlers = handlers;
    this.#tray = new Tray(this.#image(initial.icon));
    this.#tray.on('click', () => handlers.open('status'));
    nativeTheme.on('updated', () => {
      if (this.#icon) this.#tray.setImage(this.#image(this.#icon));
    });
    this.update(initial);
  }

  update(presentation: TrayPresentation): void {
    if (presentation.icon !== this.#icon) {
      this.#icon = presentation.icon;
      this.#tray.setImage(this.#image(presentation.icon));
    }
    this.#tray.setToolTip(presentation.tooltip);
    this.#tray.setContextMenu(Menu.buildFromTemplate(presentation.menu.map((item) => this.#menuItem(item))));
  }

  destroy(): void {
    this.#tray.destroy();
  }

  #image(icon: TrayIcon): Electron.NativeImage {
    // Dark system themes usually mean dark panels: use the light glyphs there.
    const panel = nativeTheme.shouldUseDarkColors ? 'dark' : 'light';
    return nativeImage.createFromPath(join(this.#iconDir, `tray-${icon}-${panel}.png`));
  }

  #menuItem(item: TrayMenuItem): MenuItemConstructorOptions {
    switch (item.kind) {
      case 'label':
        return { label: item.text, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: item.text, enabled: item.enabled, click: () => this.#handlers.action(item.action) };
      case 'open':
        return { label: item.text, click: () => this.#handlers.open(item.view) };
      case 'toggle':
        return { label: item.text, type: 'checkbox', checked: item.checked, click: (menuItem) => this.#handlers.toggleAutostart(menuItem.checked) };
    }
  }
}
