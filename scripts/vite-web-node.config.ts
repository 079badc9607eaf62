/**
 * The page a relay serves (ADR 0094): the window (src-renderer/) on the browser node's transport,
 * entered from src-web/window/main.tsx. `vite build -c scripts/vite-web-node.config.ts` writes
 * dist/web-node/ (index.html, the web app manifest, assets/ with the icon). Absolute asset URLs: the
 * relay serves it at its root; relay/page.ts adds Subresource Integrity to what index.html names and
 * to every script in an import map, and hashes every file it serves.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { domainFeatures } from './domain-features.js';
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
    // The window's domain features, from the list of domains (domain-features.ts, ADR 0111).
    domainFeatures(),
    webManifestPlugin(fileURLToPath(new URL('../src-web/window/web-manifest.json', import.meta.url))),
    precompressPlugin(),
  ],
  build: {
    outDir: '../../dist/web-node',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    target: 'es2022',
    // The window's budget (vite.config.ts, 1 MB) and the browser node's crypto; xterm.js is a chunk of
    // its own, loaded when a terminal opens. Every chunk is pinned by index.html's import map, which
    // relay/page.ts writes with each script's integrity (ADR 0107).
    chunkSizeWarningLimit: 1200,
    // Fonts and images stay files under /assets (each hashed by the relay), never data: URLs in the CSS.
    assetsInlineLimit: 0,
    rollupOptions: { onwarn: dropDependencyAnnotationWarnings },
  },
});
