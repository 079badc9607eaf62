/**
 * The page a relay serves (ADR 0094): the window (src-renderer/) on the browser node's transport,
 * entered from src-web/window/main.tsx. `vite build -c scripts/vite-web-node.config.ts` writes
 * dist/web-node/ (index.html, the web app manifest and its icon, assets/). Absolute asset URLs: the
 * relay serves it at its root; relay/page.ts adds Subresource Integrity to what index.html names and
 * hashes every file it serves.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { dropDependencyAnnotationWarnings } from './rollup-onwarn.js';
import { precompressPlugin } from './vite-precompress.js';
import { webManifestPlugin } from './vite-web-manifest.js';

export default defineConfig({
  root: 'src-web/window',
  base: '/',
  esbuild: { jsx: 'automatic' },
  // No public folder: every file is named by its hash under /assets, but the manifest, written at the
  // root (where its start_url and scope are) by its plugin, which points it at the hashed icon.
  publicDir: false,
  plugins: [
    webManifestPlugin(fileURLToPath(new URL('../src-web/window/web-manifest.json', import.meta.url))),
    precompressPlugin(),
  ],
  build: {
    outDir: '../../dist/web-node',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    target: 'es2022',
    // The window's budget (vite.config.ts, 1 MB) and the browser node's crypto, in the one script.
    chunkSizeWarningLimit: 1200,
    // Fonts and images stay files under /assets (each hashed by the relay), never data: URLs in the CSS.
    assetsInlineLimit: 0,
    rollupOptions: {
      onwarn: dropDependencyAnnotationWarnings,
      // One script: index.html's integrity attribute then covers all the page's code (a lazily
      // imported chunk would be fetched without one).
      output: { inlineDynamicImports: true },
    },
  },
});
