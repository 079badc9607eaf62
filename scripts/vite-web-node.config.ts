/**
 * The page a relay serves (ADR 0094): the window (src-renderer/) on the browser node's transport,
 * entered from src-web/window/main.tsx. `vite build -c scripts/vite-web-node.config.ts` writes
 * dist/web-node/ (index.html, the web app manifest and its icon, assets/). Absolute asset URLs: the
 * relay serves it at its root; relay/page.ts adds Subresource Integrity to what index.html names and
 * hashes every file it serves.
 */
import { defineConfig } from 'vite';
import { domainFeatures } from './domain-features.js';
import { dropDependencyAnnotationWarnings } from './rollup-onwarn.js';

export default defineConfig({
  root: 'src-web/window',
  base: '/',
  esbuild: { jsx: 'automatic' },
  // The window's domain features, from the list of domains (domain-features.ts, ADR 0111).
  plugins: [domainFeatures()],
  // manifest.webmanifest and its icon, at the root where the manifest's start_url and scope are.
  publicDir: 'public',
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
