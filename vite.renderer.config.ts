// Builds the renderer (renderer/index.html and everything it imports) into dist/renderer/: plain
// external scripts and stylesheets only, so index.html's strict CSP holds without exceptions.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  // Relative asset URLs: the same files load from Electron (file:// or a custom scheme) and from the
  // web demo's server.
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome128',
    // No polyfill: it would be injected as code the CSP does not need, and Chromium has modulepreload.
    modulePreload: { polyfill: false },
    // Assets as files, never inlined into the HTML (style-src and script-src allow only 'self').
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
