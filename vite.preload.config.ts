// Builds preload/index.ts into one CommonJS file, dist/preload/index.cjs: sandboxed preloads cannot be
// ES modules, and may only `require('electron')`, which stays external.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('./dist/preload', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome128',
    minify: false,
    reportCompressedSize: false,
    lib: {
      entry: fileURLToPath(new URL('./preload/index.ts', import.meta.url)),
      formats: ['cjs'],
      fileName: () => 'index.cjs',
    },
    rollupOptions: { external: ['electron'] },
  },
});
