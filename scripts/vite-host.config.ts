/**
 * Bundles the terminal session host (src-main/terminal/session-host/host-main.ts) into one file of its
 * own, dist/cli/bundle/host-main.cjs, beside the CLI's bundle (scripts/vite-cli.config.ts), where the
 * agent starts it from (host-client.ts hostEntry).
 *
 *   vite build -c scripts/vite-host.config.ts   → dist/cli/bundle/host-main.cjs
 *
 * Why a bundle of its own (ADR 0105): as an entry of the CLI's build the host shared chunks with the
 * agent, and a shared chunk brought with it whatever else the agent put there (zod, pino, the
 * contract's schemas). The host only moves bytes between a PTY and a socket; this build holds what it
 * imports and nothing else, and test/packaging/host-bundle.test.ts says what it must not import.
 * CommonJS, not an ES module: Node's ES module loader, its worker threads included, is ~1.8 MB of a
 * process that loads one file (docs/performance.md §Footprint).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { asciiSource } from './ascii-source.js';
import { CLI_OUT_DIR } from './vite-cli.config.js';
import { builtins, entryInput, LEAN_SOURCE, RUNTIME_EXTERNALS } from './vite-desktop.config.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export const HOST_ENTRY = 'src-main/terminal/session-host/host-main.ts';

export default defineConfig({
  root,
  publicDir: false,
  envDir: false,
  esbuild: { target: 'node20', ...LEAN_SOURCE, minifyIdentifiers: true },
  ssr: { target: 'node', noExternal: true, external: [...RUNTIME_EXTERNALS] },
  plugins: [asciiSource()],
  build: {
    ssr: true,
    outDir: CLI_OUT_DIR,
    // The CLI's chunks are in the same folder (built before or after this).
    emptyOutDir: false,
    target: 'node20',
    minify: 'esbuild',
    sourcemap: true,
    reportCompressedSize: false,
    copyPublicDir: false,
    rollupOptions: {
      input: entryInput({ 'host-main': HOST_ENTRY }, 'vite-host'),
      external: [...builtins, ...RUNTIME_EXTERNALS],
      output: {
        // `require` is the module's own here: no shim (REQUIRE_SHIM) is needed for node-pty.
        format: 'cjs',
        entryFileNames: '[name].cjs',
        // One file: nothing shared with the CLI's chunks, nothing loaded later.
        inlineDynamicImports: true,
      },
    },
  },
});
