#!/usr/bin/env node
// Runs every *.test.ts under test/ with Node's built-in runner (via tsx), because Node 20's
// `--test` does not expand globs itself. Pass folder names to run a subset: `node scripts/run-tests.mjs unit`.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const wanted = process.argv.slice(2);
const dirs = wanted.length ? wanted.map((d) => join(root, 'test', d)) : [join(root, 'test')];

/** @param {string} dir @returns {string[]} */
function collect(dir) {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return dir.endsWith('.test.ts') ? [dir] : [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => collect(join(dir, name)));
}

const files = dirs.flatMap(collect).map((f) => relative(root, f));
if (files.length === 0) {
  console.error('no test files found in', dirs.join(', '));
  process.exit(1);
}
// The shells under test start as login shells (as ssh's do) and so read the machine's dotfiles. Those
// are not ours to depend on: a ~/.bashrc that runs `pyenv init` waits 60 s for pyenv's rehash lock
// once a killed shell left it behind, and every terminal test then timed out (seen in CI). So the
// run gets a HOME of its own, empty: only /etc/profile is read, and nothing lands in the real ~.
const home = mkdtempSync(join(tmpdir(), 'cb-test-home-'));
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=2',
    // A test that hangs fails after 10 minutes instead of holding CI to its own limit, and a failed
    // test that leaked a socket cannot keep its file's process (and the whole run) from ending.
    '--test-timeout=600000',
    '--test-force-exit',
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, HOME: home, CLAWBRIDGE_TEST: '1' } },
);
rmSync(home, { recursive: true, force: true });
process.exit(result.status ?? 1);
