// Where the app:// protocol finds the renderer's files: only inside dist/renderer, never a path that
// escapes it, with the CSP sent as a header as well as in the page. No Electron here (tested in Node).

import { extname, join, normalize, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'vespera';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The same policy renderer/index.html declares; sent as a header so it also covers non-HTML files. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** True for URLs of our own pages (the only senders IPC trusts). */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * Maps an app:// URL to a file under `root`, or undefined when it is not ours, escapes the folder, or
 * has a type we do not serve.
 */
export function rendererAsset(root: string, url: string): { path: string; type: string } | undefined {
  if (!isAppUrl(url)) return undefined;
  return rendererFile(root, new URL(url).pathname);
}

/** Maps a URL path (still percent-encoded) to a file under `root`; the web bridge uses it too. */
export function rendererFile(root: string, encodedPath: string): { path: string; type: string } | undefined {
  let pathname: string;
  try {
    pathname = decodeURIComponent(encodedPath);
  } catch {
    return undefined;
  }
  // A request with dot segments or backslashes after decoding is not one our pages make.
  if (pathname.includes('\0') || pathname.includes('\\') || pathname.split('/').includes('..')) return undefined;
  const relative = normalize(pathname === '/' ? '/index.html' : pathname).replace(/^[/\\]+/, '');
  const path = join(root, relative);
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  const type = TYPES[extname(path)];
  return type ? { path, type } : undefined;
}
