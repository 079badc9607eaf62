/**
 * A process entry of src-main (the desktop app's agent-process.ts) bundled from the source at hand into
 * one .mjs that plain Node runs: a child that loads the agent's modules one by one through tsx spent
 * ~3 CPU-s before its agent ran, the bundle ~1 (issue 83). Bundled when a test file asks (esbuild, a
 * fraction of a second), so it is never stale as dist/ may be. Packages stay imports of node_modules,
 * and each module keeps its own `import.meta.url` (what a module finds files and packages beside it by),
 * so the bundle behaves as the modules do. The file is removed when this process exits.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Under the checkout (dist/ is not committed), so the bundle's package imports resolve from its node_modules. */
const OUT_DIR = join(root, 'dist', 'test-entries');

const made = new Map<string, Promise<string>>();
/** This process's bundles (other test files' processes write theirs beside them). */
const files: string[] = [];

/** The path of `entry` (a .ts file) bundled for plain Node; one bundle per entry per process. */
export function bundledEntry(entry: string): Promise<string> {
  let out = made.get(entry);
  if (!out) {
    out = bundle(entry);
    made.set(entry, out);
  }
  return out;
}

async function bundle(entry: string): Promise<string> {
  mkdirSync(OUT_DIR, { recursive: true });
  const outfile = join(OUT_DIR, `${basename(entry, '.ts')}-${process.pid}-${made.size}.mjs`);
  if (files.length === 0) process.once('exit', () => files.forEach((f) => rmSync(f, { force: true })));
  files.push(outfile);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
    plugins: [
      {
        name: 'own-import-meta',
        setup(b) {
          b.onLoad({ filter: /\.tsx?$/ }, (args) => {
            const url = pathToFileURL(args.path).href;
            const contents = readFileSync(args.path, 'utf8')
              .replaceAll('import.meta.url', JSON.stringify(url))
              .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
              .replaceAll('import.meta.filename', JSON.stringify(args.path));
            return { contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
          });
        },
      },
    ],
  });
  return outfile;
}
