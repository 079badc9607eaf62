// @ts-check
// The checkout's TypeScript transpiled once for a test run, so that each test file runs on plain Node
// rather than through tsx (issue 83): tsx's loader runs on a thread of its own with a V8 isolate of its
// own and sends every module it imports through its hooks, ~0.5 s of CPU a process over ~230 test
// processes a run. The files land in a mirror of the checkout (a folder of its own, `mirrorTree`),
// each .ts beside its .js so that every path a test builds from `import.meta.url` lands on the same
// file it would in the checkout.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** Folders whose TypeScript is transpiled: what a test file imports, or starts as a child. */
export const SOURCE_FOLDERS = ['test', 'src-main', 'src-web', 'src-renderer', 'scripts', 'bench', 'soak'];
/**
 * Folders linked whole, wherever they sit: packages, git's store and build output hold no source a
 * test imports through the mirror, and node_modules alone is hundreds of megabytes of small files.
 */
const LINKED_WHOLE = new Set(['node_modules', '.git', 'dist', 'release', 'coverage', 'test-results', '.tmp']);
const TYPESCRIPT = /\.tsx?$/;
const DECLARATION = /\.d\.[cm]?ts$/;

/**
 * The mirror's path for a file of the checkout: the .js esbuild wrote for a .ts or .tsx, the same name
 * for any other. @param {string} root @param {string} mirror @param {string} file under `root`
 * @returns {string}
 */
export function mirrored(root, mirror, file) {
  const path = join(mirror, relative(root, file));
  return TYPESCRIPT.test(path) && !DECLARATION.test(path) ? path.replace(TYPESCRIPT, '.js') : path;
}

/**
 * Recreates `from`'s folders under `to` and hard-links its files there (a copy across file systems).
 * A link, not a symlink: a test that walks a folder with `readdirSync(…, { withFileTypes: true })`
 * keeps only entries that are files or folders, and a symlink is neither; a hard link is the file
 * itself, so a test writing to it writes to the checkout's. Folders in LINKED_WHOLE are symlinks.
 * @param {string} from @param {string} to @param {string[]} typescript collects the .ts/.tsx files
 * under SOURCE_FOLDERS @param {boolean} inSource
 */
function mirrorFolder(from, to, typescript, inSource) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory() && LINKED_WHOLE.has(entry.name)) symlinkSync(source, target, 'dir');
    else if (entry.isDirectory()) mirrorFolder(source, target, typescript, inSource);
    else if (entry.isSymbolicLink()) symlinkSync(source, target);
    else {
      linkOrCopy(source, target);
      if (inSource && TYPESCRIPT.test(entry.name) && !DECLARATION.test(entry.name)) typescript.push(source);
    }
  }
}

/** @param {string} source @param {string} target */
function linkOrCopy(source, target) {
  try {
    linkSync(source, target);
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EXDEV') throw err;
    copyFileSync(source, target);
  }
}

/**
 * Builds the mirror of `root` in a new folder under `parent` and returns it with what it cost. Each
 * .ts/.tsx becomes ESM for Node 20 beside it (bundle: false, the nearest tsconfig.json's settings, as
 * tsx reads them), with an inline source map: under `--enable-source-maps` a stack trace or a failed
 * assertion names the checkout's .ts line.
 * @param {string} root the checkout @param {string} [parent] where the mirror's folder is made
 * @returns {Promise<{ mirror: string, files: number, ms: number }>}
 */
export async function transpileTree(root, parent = tmpdir()) {
  const t0 = performance.now();
  const mirror = mkdtempSync(join(parent, 'cb-test-mirror-'));
  // Readable by others, as a checkout is: a test runs the CLI as another user (agent-one-per-home's
  // `setpriv --reuid=65534`), and mkdtemp's 0700 made the mirror's entry point unreadable to it.
  chmodSync(mirror, 0o755);
  /** @type {string[]} */
  const typescript = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const source = join(root, entry.name);
    const target = join(mirror, entry.name);
    if (LINKED_WHOLE.has(entry.name) || !lstatSync(source).isDirectory()) {
      if (entry.isDirectory() || entry.isSymbolicLink()) symlinkSync(source, target);
      else linkOrCopy(source, target);
    } else mirrorFolder(source, target, typescript, SOURCE_FOLDERS.includes(entry.name));
  }
  // esbuild's command, not its JS API: its service process would outlive the build unreaped, and the
  // runner's per-file CPU (the rise of its reaped children's CPU) would give its CPU to the first file.
  const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
  const args = [
    ...typescript.map((f) => relative(root, f)),
    `--outdir=${mirror}`,
    '--outbase=.',
    '--format=esm',
    '--platform=node',
    '--target=node20',
    '--sourcemap=inline',
    '--sources-content=false',
    '--log-level=error',
  ];
  const code = await new Promise((resolve) => {
    const child = spawn(esbuild, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (err) => {
      console.error(`could not start esbuild (${esbuild}): ${err.message}; run npm ci`);
      resolve(1);
    });
    child.on('exit', (c) => resolve(c));
  });
  if (code !== 0)
    throw new Error(`esbuild could not transpile the tests (exit ${code}); its errors are above`);
  return { mirror, files: typescript.length, ms: performance.now() - t0 };
}
