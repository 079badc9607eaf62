/**
 * Bundles the desktop app's Node side (docs/adr/0010-bundled-desktop-app.md): the main process, the
 * agent's utility process and the preload, each with its pure-JavaScript dependencies inlined, so the
 * packaged app.asar ships these bundles instead of dist/src-main/ and node_modules/.
 *
 *   vite build -c scripts/vite-desktop.config.ts --mode main      → dist/app/electron/{main,agent-process,session-host-process}.js
 *   vite build -c scripts/vite-desktop.config.ts --mode preload   → dist/app/electron/preload.cjs
 *
 * Two builds because Rollup writes one format per build: the main side is ES modules (package.json
 * "type": "module"), the preload must be one CommonJS file that requires only 'electron' (a sandboxed
 * preload can load nothing else). The CLI is not part of the app: scripts/vite-cli.config.ts bundles it
 * the same way into dist/cli/bundle/ (ADR 0064).
 */
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';
import { asciiSource } from './ascii-source.js';
import { inlinePackageJson } from './inline-package-json.js';
import { dropDependencyAnnotationWarnings } from './rollup-onwarn.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The bundle folder, relative to the repository. Three levels deep on purpose: code that finds the
 * renderer relative to its own file (static-files.ts: `../../../dist/renderer/`) resolves to the
 * same dist/renderer/ from here as from src-main/api/web-ui/, so it needs no bundle-specific path.
 */
export const DESKTOP_OUT_DIR = 'dist/app/electron';

/**
 * Every entry of the main side, by output name: main.ts starts the agent's utility process from
 * `agent-process.js` next to `main.js` (agent-host.ts AGENT_PROCESS_FILE), and the session host's
 * from `session-host-process.js` (session-host-launcher.ts SESSION_HOST_PROCESS_FILE).
 */
export const MAIN_SIDE_ENTRIES: Readonly<Record<string, string>> = {
  main: 'src-main/electron/main.ts',
  'agent-process': 'src-main/electron/agent-process.ts',
  'session-host-process': 'src-main/electron/session-host-process.ts',
};

/** The preload's source; its output is `preload.cjs`, the name main.ts passes to BrowserWindow. */
export const PRELOAD_ENTRY = 'src-main/electron/preload.cts';

/**
 * Loaded at run time from node_modules, never inlined: Electron itself, and the native addons, whose
 * `.node` files cannot be bundled (app.asar ships them with their JavaScript). `utf-8-validate` is
 * ws's other optional addon; it is not installed, and ws falls back to JavaScript without it.
 */
export const RUNTIME_EXTERNALS: readonly string[] = ['electron', 'node-pty', 'bufferutil', 'utf-8-validate'];

export const builtins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * The bundles are ES modules, but the CommonJS dependencies inlined into them keep a few `require()`
 * calls that Rollup cannot turn into imports: ws's `try { require('bufferutil') }` (optional addons
 * are loaded inside try/catch) and node-gyp-build's. A module-scoped `require` resolves those from the
 * bundle's folder, i.e. the app's node_modules, instead of failing as an undefined global.
 */
export const REQUIRE_SHIM =
  "import { createRequire as __cbCreateRequire } from 'node:module';\nconst require = __cbCreateRequire(import.meta.url);";

/**
 * Rollup's `input` for `entries` (output name → source path from the repository root): absolute paths.
 * A renamed or moved entry fails the build (`build` names it), rather than leaving a bundle out.
 */
export function entryInput(entries: Readonly<Record<string, string>>, build: string): Record<string, string> {
  const input: Record<string, string> = {};
  for (const [name, source] of Object.entries(entries)) {
    if (!existsSync(new URL(`../${source}`, import.meta.url))) {
      throw new Error(`${build}: entry ${name} has no source at ${source}`);
    }
    input[name] = `${root}${source}`;
  }
  return input;
}

/**
 * esbuild's options for the bundles' sources (ADR 0073): whitespace and comments out, names and syntax
 * as written, every character outside ASCII escaped. V8 keeps each module's source in the heap for the
 * life of the process (one byte a character when all of it is ASCII, ADR 0068): without the whitespace
 * and comments an idle agent's sources take ~0.6 MB less of it, and the line-ends table V8 builds for a
 * stack trace shrinks with the lines. Stack traces then point into one long line: each chunk has its
 * source map beside it (`sourcemap: true`), which `node --enable-source-maps` or a debugger follows to
 * the TypeScript line. Identifiers keep their names, so a trace read without the map still names every
 * function. esbuild escapes for the map (ascii-source.ts then finds nothing left to escape, and checks).
 */
export const LEAN_SOURCE = {
  minifyWhitespace: true,
  minifyIdentifiers: false,
  minifySyntax: false,
  charset: 'ascii',
} as const;

export default defineConfig(({ mode }): UserConfig => {
  if (mode !== 'main' && mode !== 'preload') {
    throw new Error(`vite-desktop: --mode must be 'main' or 'preload', got '${mode}'`);
  }
  const preload = mode === 'preload';
  return {
    root,
    // Nothing from public/ or .env files belongs in the main process.
    publicDir: false,
    envDir: false,
    // esbuild strips types; its default filter skips .cts, which the preload is.
    esbuild: { include: /\.[cm]?tsx?$/, target: 'node22', ...LEAN_SOURCE },
    // Every chunk ASCII, so V8 keeps each module's source one byte a character (ascii-source.ts, ADR 0068).
    plugins: [inlinePackageJson(), asciiSource()],
    ssr: {
      target: 'node',
      // Inline every dependency except the runtime externals: that is what keeps node_modules out of
      // app.asar (electron-builder.yml ships only the native addons').
      noExternal: true,
      external: [...RUNTIME_EXTERNALS],
    },
    build: {
      ssr: true,
      outDir: DESKTOP_OUT_DIR,
      // Both builds write into the same folder; the main build runs first and empties it.
      emptyOutDir: !preload,
      // Electron 45 runs Node 22.
      target: 'node22',
      // Whitespace and comments only (LEAN_SOURCE); the maps beside keep stack traces readable.
      minify: 'esbuild',
      sourcemap: true,
      reportCompressedSize: false,
      copyPublicDir: false,
      rollupOptions: {
        onwarn: dropDependencyAnnotationWarnings,
        input: preload
          ? { preload: `${root}${PRELOAD_ENTRY}` }
          : entryInput(MAIN_SIDE_ENTRIES, 'vite-desktop'),
        external: [...builtins, ...RUNTIME_EXTERNALS, /^electron\//],
        output: preload
          ? { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true }
          : {
              format: 'es',
              entryFileNames: '[name].js',
              // Chunks sit next to the entries, so a chunk's import.meta.url has the same depth (see DESKTOP_OUT_DIR).
              chunkFileNames: '[name]-[hash].js',
              banner: REQUIRE_SHIM,
            },
      },
    },
  };
});
