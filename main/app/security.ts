// The Electron security settings every window and the session get: sandboxed, isolated renderers,
// no navigation, no new windows, no permissions, no webviews. Applied once, before any window exists.

import { app, session, shell } from 'electron';
import { APP_ORIGIN, CONTENT_SECURITY_POLICY, isAppUrl } from './renderer-assets.ts';

/** Only https links leave the app, and only to the system browser. */
function openExternally(url: string): void {
  try {
    if (new URL(url).protocol === 'https:') void shell.openExternal(url);
  } catch {
    // Not a URL: ignore.
  }
}

export function installSecurityGuards(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    if (details.url.startsWith(APP_ORIGIN)) headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      event.preventDefault();
      if (!isAppUrl(url)) openExternally(url);
    });
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      openExternally(url);
      return { action: 'deny' };
    });
  });
}
