#!/usr/bin/env node
// Runs every *.test.ts under test/ with Node's built-in runner (via tsx), because Node 20's
// `--test` does not expand globs itself. Pass folder names to run a subset: `node scripts/run-tests.mjs unit`.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

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
const env = { ...process.env, HOME: home, CLAWBRIDGE_TEST: '1' };

/** @param {string[]} list @returns {string[]} the runner's arguments for these files, two at a time */
const runnerArgs = (list) => [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  '--test-concurrency=2',
  // A test that hangs fails after 10 minutes instead of holding CI to its own limit, and a failed
  // test that leaked a socket cannot keep its file's process (and the whole run) from ending.
  '--test-timeout=600000',
  '--test-force-exit',
  ...list,
];

// The CI soak (a fixed 3-minute run, soak.test.ts) mostly waits: its relay, agents and streams used
// about 0.3 of a core here. As one of the two files at a time it held a slot for ~3.6 minutes, the
// other files queued behind one slot; so it runs beside the two slots, and its output (it prints
// nothing until it ends) follows theirs.
const ASIDE = ['test/soak/soak.test.ts'];
const isAside = (/** @type {string} */ f) => ASIDE.includes(f.split(sep).join('/'));
const aside = files.filter(isAside);

// Unit, property and vector files mostly take milliseconds, yet each started a process of its own,
// which with tsx cost ~0.4 s of CPU: over 300 files, about a minute of the two cores. So they run in
// groups of GROUP_SIZE files, one process a group, each file inside a describe() named by its path:
// its tests, and the hooks it declares at its top level, stay its own. A file that changes the
// process for every test after it (top-level hooks, mock timers, process-wide handlers) or says
// `test-runner: own process` still gets a process of its own. Integration and browser tests always
// do: they start processes and listeners that must not outlive their file.
const GROUPED_DIRS = ['unit', 'property', 'vectors'];
const GROUP_SIZE = 24;
const OWN_PROCESS =
  /^(before|after|beforeEach|afterEach)\(|mock\.timers|process\.on\(|process\.once\(|test-runner: own process/m;
const groupable = (/** @type {string} */ f) =>
  GROUPED_DIRS.includes(f.split(sep)[1] ?? '') && !OWN_PROCESS.test(readFileSync(join(root, f), 'utf8'));
const groupsDir = mkdtempSync(join(tmpdir(), 'cb-test-groups-'));
/** @param {string[]} list @returns {string[]} the list with its groupable files replaced by group files */
function grouped(list) {
  const alone = list.filter((f) => !groupable(f));
  const together = list.filter(groupable);
  const count = Math.ceil(together.length / GROUP_SIZE);
  const groups = Array.from({ length: count }, (_, i) => together.filter((_, j) => j % count === i));
  return [
    ...alone,
    ...groups.map((group, i) => {
      const file = join(groupsDir, `group-${i + 1}-of-${count}.test.mjs`);
      const lines = group.map(
        (f) =>
          `describe(${JSON.stringify(f.split(sep).join('/'))}, async () => { await import(${JSON.stringify(pathToFileURL(join(root, f)).href)}); });`,
      );
      writeFileSync(file, [`import { describe } from 'node:test';`, ...lines, ''].join('\n'));
      return file;
    }),
  ];
}
const pooled = grouped(files.filter((f) => !isAside(f)));

/** @param {string[]} list @param {boolean} held @returns {Promise<{ code: number | null, out: Buffer }>} */
function run(list, held) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, runnerArgs(list), {
      stdio: held ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      cwd: root,
      env,
    });
    /** @type {Buffer[]} */
    const out = [];
    child.stdout?.on('data', (d) => out.push(d));
    child.stderr?.on('data', (d) => out.push(d));
    child.on('error', (err) => {
      out.push(Buffer.from(`could not start the test runner: ${err.message}\n`));
      resolve({ code: 1, out: Buffer.concat(out) });
    });
    child.on('close', (code) => resolve({ code, out: Buffer.concat(out) }));
  });
}

const both = pooled.length > 0 && aside.length > 0;
const [main, beside] = await Promise.all([
  run(pooled.length > 0 ? pooled : files, false),
  both ? run(aside, true) : Promise.resolve({ code: 0, out: Buffer.alloc(0) }),
]);
if (both) {
  process.stdout.write(`\n── ${aside.join(', ')}, run beside the others:\n`);
  process.stdout.write(beside.out);
}
rmSync(home, { recursive: true, force: true });
rmSync(groupsDir, { recursive: true, force: true });
process.exit(main.code === 0 && beside.code === 0 ? 0 : 1);
