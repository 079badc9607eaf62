/**
 * The browser-node page a relay serves (ADR 0094): `vite build -c scripts/vite-web-node.config.ts`
 * writes dist/web-node/ (index.html, the web app manifest and its icon, assets/). Absolute asset URLs: the relay serves it at its root;
 * relay/page.ts adds Subresource Integrity to what index.html names.
 */
import { defineConfig } from 'vite';
import { dropDependencyAnnotationWarnings } from './rollup-onwarn.js';

export default defineConfig({
  root: 'src-web/page',
  base: '/',
  // manifest.webmanifest and its icon, at the root where the manifest's start_url and scope are.
  publicDir: 'public',
  build: {
    outDir: '../../dist/web-node',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    target: 'es2022',
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      onwarn: dropDependencyAnnotationWarnings,
      // One script: index.html's integrity attribute then covers all the page's code (a lazily
      // imported chunk would be fetched without one).
      output: { inlineDynamicImports: true },
    },
  },
});
