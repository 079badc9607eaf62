/**
 * Bundles the CLI (`clawbridge`, and with it the agent and the relay it runs) the way
 * vite-desktop.config.ts bundles the app's Node side (ADR 0010, ADR 0064): every pure-JavaScript
 * dependency inlined, the native addons and Node's built-ins left to load at run time.
 *
 *   vite build -c scripts/vite-cli.config.ts   → dist/cli/bundle/clawbridge.js + chunks
 *
 * The terminal session host the agent starts (host-main.js) is bundled on its own into the same folder
 * by scripts/vite-host.config.ts, so it shares no chunk with the agent (ADR 0105).
 *
 * Why: the CLI is started for every command a person or a script types, and tsc's dist/src-main/ made
 * each start load ~450 modules one file at a time (an agent's start cost ~0.85 s of CPU, `id` ~0.3 s).
 * The modules a command loads lazily (cli/command-modules.ts) stay lazy: each dynamic import is a chunk.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { asciiSource } from './ascii-source.js';
import { domainCliModules } from './domain-cli-modules.js';
import { inlinePackageJson } from './inline-package-json.js';
import { dropDependencyAnnotationWarnings } from './rollup-onwarn.js';
import { zodLean } from './zod-lean.js';
import { commonJsFolder } from './commonjs-folder.js';
import { builtins, entryInput, LEAN_SOURCE, RUNTIME_EXTERNALS } from './vite-desktop.config.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Three levels deep like the app's bundle folder, for the same reason: static-files.ts finds the
 * renderer at `../../../dist/renderer/` from its own file, which holds from here too.
 */
export const CLI_OUT_DIR = 'dist/cli/bundle';

/**
 * The entries, by output name. `bin/clawbridge.js` imports `clawbridge.js`; the CLI agent starts the
 * terminal session host from `host-main.js` in the folder of its own code (host-client.ts hostEntry),
 * as it does in tsc's dist/src-main/: that file is scripts/vite-host.config.ts's.
 */
export const CLI_ENTRIES: Readonly<Record<string, string>> = {
  clawbridge: 'src-main/cli/main.ts',
};

export default defineConfig({
  root,
  publicDir: false,
  envDir: false,
  // Local names shortened too, here only (ADR 0073): ~0.4 MB less of an idle agent's heap (its sources
  // and the scope tables that name their variables); the maps beside give traces their names back.
  esbuild: { target: 'node20', ...LEAN_SOURCE, minifyIdentifiers: true },
  ssr: { target: 'node', noExternal: true, external: [...RUNTIME_EXTERNALS] },
  // Every chunk ASCII: V8 keeps a module's source in the heap, as UTF-16 if one character is above
  // U+00FF (ascii-source.ts, ADR 0068). The domains' cli/ parts imported by name (domain-cli-modules.ts).
  // zod without its locales, JSON Schema and compiler, which no code of ours reads (zod-lean.ts, ADR 0115).
  // The folder's package.json says its files are CommonJS (commonjs-folder.ts, ADR 0121).
  plugins: [inlinePackageJson(), asciiSource(), domainCliModules(root), zodLean(), commonJsFolder()],
  build: {
    ssr: true,
    outDir: CLI_OUT_DIR,
    // Written over in place, as tsc writes dist/src-main/: an agent that is running while its folder is
    // rebuilt still finds the chunks it imports lazily (names carry no hash, so they stay put).
    emptyOutDir: false,
    // package.json "engines": Node 20.19 or later.
    target: 'node20',
    // Whitespace and comments only (LEAN_SOURCE, ADR 0073); the maps beside keep stack traces readable.
    minify: 'esbuild',
    sourcemap: true,
    reportCompressedSize: false,
    copyPublicDir: false,
    rollupOptions: {
      onwarn: dropDependencyAnnotationWarnings,
      input: entryInput(CLI_ENTRIES, 'vite-cli'),
      external: [...builtins, ...RUNTIME_EXTERNALS, /^electron\//],
      output: {
        // CommonJS, as the session host's (ADR 0121): an ES module bundle starts Node's ES module
        // loader, whose code and module records an agent then keeps for its whole life. Rollup
        // writes each dynamic import as a `require` in a promise, so lazy chunks stay lazy, and
        // `import.meta.url` as the chunk's own file URL. The folder's package.json (commonJsFolder)
        // tells Node these `.js` files are CommonJS.
        format: 'cjs',
        entryFileNames: '[name].js',
        // Beside the entries, so every chunk's import.meta.url has the depth CLI_OUT_DIR promises.
        chunkFileNames: '[name].js',
      },
    },
  },
});
