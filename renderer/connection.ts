// Decides how this page reaches main: preload's `window.vespera` inside Electron, or the web bridge
// when the page was opened from `npm run demo -- --web` with a token. Also reads the view to open.

import { isView, type VesperaApi, type View } from '../preload/contract.ts';
import { createWebBridge } from './web-bridge.ts';

declare global {
  interface Window {
    /** Set by the preload (Electron) or, in tests, by a fixture bridge; absent in a plain browser. */
    vespera?: VesperaApi;
  }
}

export type Connection =
  | { readonly kind: 'connected'; readonly api: VesperaApi; readonly initialView: View }
  | { readonly kind: 'disconnected' };

const TOKEN_KEY = 'vespera-updates.web-bridge-token';

/**
 * Reads the view (`#details` or `#view=details`) and the web bridge's `#token=…` from the address:
 * main's window loads `app://vespera/index.html#details`; the web demo prints `…/#token=…`.
 */
export function connect(win: Window): Connection {
  const hash = win.location.hash.replace(/^#/, '');
  const fragment = new URLSearchParams(hash);
  // `#details` (how main's window opens a view) or `#view=details` (with other parameters).
  const view = isView(hash) ? hash : fragment.get('view');
  const initialView: View = isView(view) ? view : 'status';
  if (win.vespera) return { kind: 'connected', api: win.vespera, initialView };

  let token = fragment.get('token');
  if (token) {
    // The token must not linger in the address bar, history or a copied link.
    win.sessionStorage.setItem(TOKEN_KEY, token);
    win.history.replaceState(null, '', win.location.pathname + win.location.search);
  } else {
    token = win.sessionStorage.getItem(TOKEN_KEY);
  }
  // A new run of the app behind the bridge (the demo's machine restarted) opens the page afresh.
  if (token) return { kind: 'connected', api: createWebBridge({ token, onAppRestart: () => win.location.reload() }), initialView };
  return { kind: 'disconnected' };
}
