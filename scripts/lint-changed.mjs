#!/usr/bin/env node
// The developer's lint loop (docs/testing.md §Linting what changed): ESLint and Prettier on the files that
// differ from main (committed on this branch, staged, unstaged or untracked), each with its cache in
// node_modules/.cache/, so a file linted before and unchanged since costs nothing. `npm run lint`, which CI
// runs, lints every file with no cache: a type-aware rule's verdict on a file can change with a file it
// imports, which a per-file cache cannot see.
//
//   node scripts/lint-changed.mjs [--base REF] [--fix]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const baseAt = args.indexOf('--base');
const base = baseAt >= 0 ? args[baseAt + 1] : 'main';
const fix = args.includes('--fix');
if (baseAt >= 0 && !base) {
  console.error('usage: node scripts/lint-changed.mjs [--base REF] [--fix]');
  process.exit(2);
}

/** @param {string[]} gitArgs @returns {string[]} the lines git printed */
function git(gitArgs) {
  const r = spawnSync('git', gitArgs, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`lint:changed: git ${gitArgs.join(' ')} failed: ${r.stderr.trim()}`);
    process.exit(2);
  }
  return r.stdout.split('\n').filter(Boolean);
}

// From where this branch left the base: what the branch changed, not what the base did since.
const [forkPoint] = git(['merge-base', 'HEAD', /** @type {string} */ (base)]);
const changed = [
  ...new Set([
    ...git(['diff', '--name-only', '--diff-filter=ACMR', /** @type {string} */ (forkPoint)]),
    ...git(['ls-files', '--others', '--exclude-standard']),
  ]),
]
  .filter((f) => existsSync(join(root, f)))
  .sort();

// ESLint lints TypeScript only (eslint.config.js ignores plain JavaScript); Prettier checks what it knows.
const forEslint = changed.filter((f) => /\.(?:[cm]?ts|tsx)$/.test(f));
if (changed.length === 0) {
  console.log(`lint:changed: no file differs from ${base}`);
  process.exit(0);
}
console.log(`lint:changed: ${changed.length} file(s) differ from ${base}, ${forEslint.length} for ESLint`);

// node_modules may be shared by several checkouts (worktrees): each keeps caches of its own, named by
// where it is, as ESLint names its cache file in a cache folder.
const cache = join(root, 'node_modules', '.cache');
const checkout = createHash('sha256').update(root).digest('hex').slice(0, 12);
/** @param {string} bin @param {string[]} binArgs @returns {number} */
function run(bin, binArgs) {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', bin), ...binArgs], {
    cwd: root,
    stdio: 'inherit',
  });
  return r.status ?? 1;
}

let failed = 0;
if (forEslint.length > 0) {
  failed |= run('eslint/bin/eslint.js', [
    '--cache',
    // By content, not modification time: a checkout or rebase touches files it does not change.
    '--cache-strategy',
    'content',
    '--cache-location',
    // A folder (the trailing separator says so): ESLint names the file in it by the checkout's path.
    `${join(cache, 'eslint')}${sep}`,
    '--no-warn-ignored',
    ...(fix ? ['--fix'] : []),
    '--',
    ...forEslint,
  ]);
}
failed |= run('prettier/bin/prettier.cjs', [
  fix ? '--write' : '--check',
  '--cache',
  '--cache-location',
  join(cache, 'prettier', `${checkout}.json`),
  '--ignore-unknown',
  '--',
  ...changed,
]);
process.exit(failed ? 1 : 0);
