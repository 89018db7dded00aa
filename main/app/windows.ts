// The app's one window: created when opened, destroyed when closed, always on our app:// pages with
// the secure preferences; opening it again focuses it and moves it to the asked-for view.

import { readFile } from 'node:fs/promises';
import { BrowserWindow, protocol, type WebContents } from 'electron';
import { CHANNEL_PREFIX, type View } from '../../preload/contract.ts';
import type { TrustedSenders } from './ipc.ts';
import { APP_ORIGIN, APP_SCHEME, CONTENT_SECURITY_POLICY, rendererAsset } from './renderer-assets.ts';

/** Must run before the app is ready: app:// behaves like https (standard, secure origin). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

/** Serves dist/renderer under app://vespera/ and nothing else. */
export function serveRenderer(rendererRoot: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const asset = rendererAsset(rendererRoot, request.url);
    if (!asset) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(asset.path);
      return new Response(new Uint8Array(body), {
        headers: { 'content-type': asset.type, 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff' },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}

export class AppWindow {
  readonly #preload: string;
  readonly #senders: TrustedSenders;
  #window: BrowserWindow | undefined;

  constructor(preload: string, senders: TrustedSenders) {
    this.#preload = preload;
    this.#senders = senders;
  }

  /** The live window's contents, for events. */
  contents(): WebContents[] {
    return this.#window && !this.#window.isDestroyed() ? [this.#window.webContents] : [];
  }

  open(view: View = 'status'): void {
    if (this.#window && !this.#window.isDestroyed()) {
      this.#window.webContents.send(`${CHANNEL_PREFIX}navigate`, { view });
      if (this.#window.isMinimized()) this.#window.restore();
      this.#window.show();
      this.#window.focus();
      return;
    }
    // The renderer is untrusted: isolated, sandboxed, no Node, no webviews. Written out here, not
    // built by a helper, so a reviewer (and the security scanner in the test suite) sees them.
    const window = new BrowserWindow({
      width: 480,
      height: 680,
      minWidth: 360,
      minHeight: 480,
      show: false,
      title: 'Vespera Updates',
      autoHideMenuBar: true,
      webPreferences: {
        preload: this.#preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        experimentalFeatures: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        spellcheck: false,
        disableBlinkFeatures: 'Auxclick',
      },
    });
    this.#senders.add(window.webContents);
    window.once('ready-to-show', () => window.show());
    window.on('closed', () => {
      this.#window = undefined;
    });
    this.#window = window;
    void window.loadURL(`${APP_ORIGIN}/index.html#${view}`);
  }
}
