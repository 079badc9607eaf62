#!/usr/bin/env node
// `npm run build`, unless dist/ was built from exactly these sources. `npm ci` builds once (prepare), and
// `npm test` right after it built the same tree again: ~25 s on two cores, with the tests waiting on it.
// A build records what it was made from (dist/.built-from); the next one is skipped when that still
// holds. "These sources" is git's own answer, so nothing is guessed from timestamps: the tree IDs of
// every input at HEAD, the Node version, and a clean working tree for those inputs. Outside a git
// checkout, or with any input changed or untracked, it always builds.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const STAMP = join(root, 'dist', '.built-from');
/** Everything `npm run build` reads besides node_modules (which package-lock.json pins). */
const INPUTS = [
  'src-main',
  'src-renderer',
  'src-web',
  'scripts',
  'assets',
  'vite.config.ts',
  'tsconfig.json',
  'tsconfig.web.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
].filter((p) => existsSync(join(root, p)));
/** What the build writes; all must be there for a skip. */
const OUTPUTS = [
  'dist/src-main/cli/main.js',
  'dist/cli/bundle/clawbridge.js',
  'dist/app/electron/main.js',
  'dist/renderer/index.html',
  'dist/web-node/index.html',
];

/** @param {string[]} args @returns {string | undefined} git's output, or undefined when git fails */
function git(args) {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

/** @returns {string | undefined} what the sources are, or undefined when that cannot be told */
function sourcesNow() {
  const status = git(['status', '--porcelain', '--untracked-files=all', '--', ...INPUTS]);
  if (status === undefined || status.trim() !== '') return undefined;
  const ids = git(['rev-parse', ...INPUTS.map((p) => `HEAD:${p}`)]);
  if (ids === undefined) return undefined;
  return JSON.stringify({ node: process.version, inputs: INPUTS, ids: ids.trim().split('\n') });
}

const now = sourcesNow();
const built = existsSync(STAMP) ? readFileSync(STAMP, 'utf8') : undefined;
if (now !== undefined && built === now && OUTPUTS.every((f) => existsSync(join(root, f)))) {
  console.log('build: dist/ is already built from these sources (dist/.built-from); skipped');
  process.exit(0);
}
rmSync(STAMP, { force: true });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['run', 'build'], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
if (r.status !== 0) process.exit(r.status ?? 1);
if (now !== undefined) writeFileSync(STAMP, now);
