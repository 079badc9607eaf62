/**
 * How a child process runs a TypeScript entry of the checkout. scripts/run-tests.mjs runs the tests from
 * a transpiled mirror of the checkout (scripts/test-transpile.mjs), each .ts with its .js beside it: a
 * child runs that .js on plain Node, which spared tsx's loader thread and hooks (~0.5 CPU-s a process,
 * issue 83). A test file run by hand through tsx (`node --import tsx --test test/x.test.ts`) has no .js
 * beside its sources: its children run the .ts through tsx, as they always did.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'vite';

/** True when this module is the mirror's transpiled .js, not the checkout's .ts run through tsx. */
const TRANSPILED = import.meta.url.endsWith('.js');

/** Node's arguments that run `entry` (a .ts or .tsx path): its transpiled .js, or the .ts under tsx. */
export function sourceEntry(entry: string): string[] {
  const js = entry.replace(/\.tsx?$/, '.js');
  return TRANSPILED && js !== entry && existsSync(js) ? [js] : ['--import', 'tsx', entry];
}

/**
 * Node's arguments that run `entry` after `flags` (`--import` hooks, V8 flags): `sourceEntry`'s, with
 * tsx's `--import` first when it is there, so the hooks load after tsx as they always did.
 */
export function nodeArgsFor(entry: string, flags: readonly string[] = []): string[] {
  const run = sourceEntry(entry);
  return run.length === 1 ? [...flags, ...run] : [...run.slice(0, 2), ...flags, ...run.slice(2)];
}

/**
 * The path a child given it as an argument imports: its transpiled .js in run-tests' mirror (plain Node
 * knows no .ts), the source itself under tsx.
 */
export function runnablePath(file: string): string {
  const js = file.replace(/\.tsx?$/, '.js');
  return TRANSPILED && js !== file && existsSync(js) ? js : file;
}

/**
 * True for a .js that run-tests' mirror holds beside a .ts or .tsx: no file of the checkout, so a test
 * that copies the tree (`cpSync`'s filter) leaves it out, and the copy holds the sources alone.
 */
export function isTranspiled(file: string): boolean {
  return (
    TRANSPILED && file.endsWith('.js') && ['.ts', '.tsx'].some((ext) => existsSync(file.slice(0, -3) + ext))
  );
}

/**
 * The source file of the module at `url` (its `import.meta.url`): the .ts or .tsx the mirror's .js was
 * transpiled from, beside it, or the module's own file. For a test that knows itself among the sources.
 */
export function sourceFile(url: string): string {
  const file = fileURLToPath(url);
  if (!isTranspiled(file)) return file;
  return ['.ts', '.tsx'].map((ext) => file.slice(0, -3) + ext).find((f) => existsSync(f)) ?? file;
}

/**
 * The URL to `import()` a .ts or .tsx source by its path: its .js in run-tests' mirror (plain Node
 * knows no .ts), the source itself under tsx.
 */
export function importable(file: string): string {
  const js = file.replace(/\.tsx?$/, '.js');
  return pathToFileURL(TRANSPILED && js !== file && existsSync(js) ? js : file).href;
}

/**
 * The checkout that `projectDir` is, or that it mirrors when it is run-tests' mirror (whose
 * node_modules is a link into the checkout). For a tool that reads the project whole and follows no
 * link into a folder: electron-builder, run on the mirror, packed no file of its linked `dist/`.
 */
export function checkoutOf(projectDir: string): string {
  return dirname(realpathSync(join(projectDir, 'node_modules')));
}

/**
 * A Vite plugin for a build a test makes from the sources: run from run-tests' mirror, an import of
 * `./x.js` would find the mirror's .js beside `x.ts` and build that, and a plugin that stands in for a
 * .ts module (scripts/domain-features.ts) would never see it. It builds the source instead.
 */
export function sourcesOverTranspiled(): Plugin {
  return {
    name: 'sources-over-transpiled',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved && isTranspiled(resolved.id)
        ? { ...resolved, id: sourceFile(pathToFileURL(resolved.id).href) }
        : resolved;
    },
  };
}
