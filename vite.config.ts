/**
 * Renderer build: `vite build -c vite.config.ts` writes dist/renderer/, which main.ts loads from file://.
 * No React plugin: esbuild's automatic JSX runtime is all a production build needs. The domains' features
 * are imported by name from the list of domains (scripts/domain-features.ts, ADR 0111).
 */
import { defineConfig } from 'vite';
import { domainFeatures } from './scripts/domain-features.js';
import { dropDependencyAnnotationWarnings } from './scripts/rollup-onwarn.js';
import { precompressPlugin } from './scripts/vite-precompress.js';

export default defineConfig({
  root: 'src-renderer',
  // Relative asset URLs, because the page is loaded from file:// (and from inside app.asar when packaged).
  base: './',
  esbuild: { jsx: 'automatic' },
  // Brotli and gzip copies for the agent's web UI, read through a forward from another machine
  // (api/web-ui/static-files.ts); the desktop app loads from file:// and does not ship them.
  plugins: [domainFeatures(), precompressPlugin()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // Electron's Chromium supports modulepreload; the polyfill would be an extra script for nothing.
    modulePreload: { polyfill: false },
    target: 'chrome140',
    // The budget: ≤ 1 MB of JS before compression (React + xterm.js are most of it); warn beyond it.
    chunkSizeWarningLimit: 1000,
    rollupOptions: { onwarn: dropDependencyAnnotationWarnings },
  },
});
