#!/usr/bin/env node
// Runs every *.test.ts under test/ with Node's built-in runner, because Node 20's `--test` does not
// expand globs itself: on plain Node, from a transpiled mirror of the checkout (scripts/test-transpile.mjs),
// or through tsx with CLAWBRIDGE_TEST_TSX=1. Pass folders or files to run a subset, under test/ or from the
// root (`node scripts/run-tests.mjs unit` or `… test/unit`; scripts/test-paths.mjs).
// Each file (or group of unit files, below) is one Node process of its own (the file run with node:test's reporter), started when
// scripts/test-slots.mjs says a slot is free; its output is printed whole when it ends, and the totals
// of all of them at the end.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { freeShare, mayStart, sampleCpu, SlotTimeline } from './test-slots.mjs';
import { failureDigest } from './test-failures.mjs';
import { testPaths } from './test-paths.mjs';
import { cpuLedger, reapedCpuReader, slowestReport } from './test-costs.mjs';
import { BROWSER_LINE, browserLine, needsBrowser, startSharedBrowser } from './test-browser.mjs';
import { mirrored, transpileTree } from './test-transpile.mjs';

const root = new URL('..', import.meta.url).pathname;
const wanted = process.argv.slice(2);
const dirs = testPaths(root, wanted);

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
// NODE_EXTRA_CA_CERTS makes every Node process read and parse each certificate in that file as it
// starts. On the development VM it names Debian's whole CA bundle (144 certificates): 40 % of a bare
// `node`'s start, 112 → 66 ms of CPU, paid by each of the ~2,000 Node processes of a whole run (test
// files, agents, relays, CLI commands). No test reaches past loopback and links pin their
// certificates, so the run's processes start without it.
delete env.NODE_EXTRA_CA_CERTS;
// The run's temporary files go to a folder of its own, removed at the end: what a test leaves behind
// (a killed one always does, and some made folders they never removed: file-ux's 257 MB source, run
// after run) no longer piles up in /tmp. Sticky and open to all, as /tmp is: some tests run commands
// as another user.
const runTmp = mkdtempSync(join(tmpdir(), 'cb-test-tmp-'));
chmodSync(runTmp, 0o1777);
env.TMPDIR = runTmp;
// A whole run takes no screenshots unless asked to (CLAWBRIDGE_SCREENSHOTS=1): ~100 CPU-s of the
// browser's for pictures nobody looks at there (test/helpers/browser.ts `screenshotsTaken`). A run of
// some files, where someone works on what they show, takes them.
if (wanted.length === 0) env.CLAWBRIDGE_SCREENSHOTS ??= '0';

// Each test process loaded tsx, whose loader thread (a V8 isolate of its own) and hooks on every module
// cost ~0.5 s of CPU a process, ~230 of them a run (issue 83). So the tree is transpiled once, here,
// into a mirror of the checkout, and each file runs from there on plain Node; `--enable-source-maps`
// keeps stack traces and failed assertions on the .ts lines. CLAWBRIDGE_TEST_TSX=1 runs them the old
// way, through tsx, from the checkout itself.
const throughTsx = process.env.CLAWBRIDGE_TEST_TSX === '1';
const transpileCpu = reapedCpuReader();
const cpuBefore = transpileCpu?.() ?? 0;
// Files none of which is the checkout's (a runner test's own) need no mirror: ~10 CPU-s spared.
const transpiled = throughTsx || !files.some(inCheckout) ? undefined : await transpileTree(root);
if (transpiled) {
  const cpu = transpileCpu ? `, ${(transpileCpu() - cpuBefore).toFixed(1)} s CPU` : '';
  console.log(`transpiled ${transpiled.files} files in ${(transpiled.ms / 1000).toFixed(1)} s${cpu}`);
}
/** @param {string} file under the root @returns {string} its absolute path: in the mirror, its .js */
const fromMirror = (file) =>
  transpiled ? mirrored(root, transpiled.mirror, join(root, file)) : join(root, file);

/**
 * The runner's arguments for one file. The file runs as the process itself, with node:test's reporter
 * (no `--test`): `node --test FILE` starts a second process for the file, and the first one, doing
 * nothing but relay its report, cost ~0.25 s of CPU with tsx loaded in it, over 260 files about a minute
 * of a core. `--test-force-exit` still ends a file whose failed test leaked a socket; `--test-timeout`
 * applies only under `--test`, so FILE_TIMEOUT_MS below ends a file that hangs.
 * @param {string} file @returns {string[]}
 */
const runnerArgs = (file) =>
  transpiled && (file.startsWith(groupsDir) || inCheckout(file))
    ? [
        '--enable-source-maps',
        '--test-reporter=spec',
        '--test-force-exit',
        file.startsWith(groupsDir) ? file : fromMirror(file),
      ]
    : ['--import', 'tsx', '--test-reporter=spec', '--test-force-exit', file];
/**
 * Whether `file` is the checkout's, and so has its .js in the mirror; one outside it (a runner test's
 * own, in a temporary folder: integration/shared-browser.test.ts) runs through tsx.
 * @param {string} file @returns {boolean}
 */
function inCheckout(file) {
  const rel = relative(root, resolve(root, file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
/** A file still running after this long is ended and fails: CI's own limit is not reached by one hang. */
const FILE_TIMEOUT_MS = 15 * 60_000;

// The CI soak (a fixed 3-minute run, soak.test.ts) mostly waits: its relay, agents and streams used
// about 0.3 of a core here. As one of the two files at a time it held a slot for ~3.6 minutes, the
// other files queued behind one slot; so it starts first and runs beside the slots, not counted.
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
/** Each group file's member files (as run-tests names them, `test/unit/…`). */
/** @type {Map<string, string[]>} */
const groupMembers = new Map();
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
          `describe(${JSON.stringify(f.split(sep).join('/'))}, async () => { await import(${JSON.stringify(pathToFileURL(fromMirror(f)).href)}); });`,
      );
      writeFileSync(file, [`import { describe } from 'node:test';`, ...lines, ''].join('\n'));
      groupMembers.set(file, group);
      return file;
    }),
  ];
}
const pooled = grouped(files.filter((f) => !isAside(f)));

/**
 * @typedef {object} Outcome
 * @property {string} name what ran: a file, or a group of unit files
 * @property {number | null} code the runner's exit code
 * @property {string} out its output, whole
 * @property {number} seconds wall time
 * @property {number | undefined} cpu CPU seconds of it and every process it started and reaped (scripts/test-costs.mjs)
 * @property {string[]} [reapedWith] runs reaped in the same pass, whose CPU `cpu` holds too
 * @property {string} [countedIn] the run whose `cpu` holds this one's
 */

/** @param {string} file @returns {string} how a file or group is named in the output */
const nameOf = (file) =>
  file.startsWith(groupsDir) ? `unit files, ${file.slice(groupsDir.length + 1, -'.test.mjs'.length)}` : file;

// Each file's CPU: the rise of the runner's reaped-children CPU as its process is reaped. Readings in
// one turn of the event loop are one reaping pass; `turn` moves on once the loop has.
const readReapedCpu = reapedCpuReader();
const ledger = readReapedCpu && cpuLedger(readReapedCpu());
let turn = 0;
let turnPending = false;
const nextTurn = () => {
  if (turnPending) return;
  turnPending = true;
  setImmediate(() => {
    turn++;
    turnPending = false;
  });
};

// One Chromium for the run's browser test files, each connecting to it (scripts/test-browser.mjs).
const browser = needsBrowser(root, files)
  ? await startSharedBrowser({
      root,
      env,
      reaped: () => {
        const cost = ledger && readReapedCpu && ledger.reaped(BROWSER_LINE, readReapedCpu(), turn);
        nextTurn();
        return cost?.cpu;
      },
    })
  : undefined;

/** @param {string} file @returns {Promise<Outcome>} */
function run(file) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, runnerArgs(file), {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: root,
      env: { ...env, ...browser?.env() },
    });
    /** @type {Buffer[]} */
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    /** @type {import('./test-costs.mjs').Reaped | undefined} */
    let cost;
    const hung = setTimeout(() => {
      out.push(Buffer.from(`\n✖ still running after ${FILE_TIMEOUT_MS / 60_000} minutes: ended\n`));
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('exit', () => {
      clearTimeout(hung);
      cost = ledger && readReapedCpu && ledger.reaped(nameOf(file), readReapedCpu(), turn);
      nextTurn();
    });
    const done = (/** @type {number | null} */ code) =>
      resolve({
        name: nameOf(file),
        code,
        out: Buffer.concat(out).toString() + (browser?.notes(t0) ?? ''),
        seconds: (performance.now() - t0) / 1000,
        cpu: cost?.cpu,
        reapedWith: cost?.reapedWith,
        countedIn: cost?.countedIn,
      });
    child.on('error', (err) => {
      out.push(Buffer.from(`could not start the test runner: ${err.message}\n`));
      done(1);
    });
    child.on('close', done);
  });
}

/** The summary lines each run ends with (`ℹ tests 12`), which the whole run adds up. */
const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];
const COUNT_LINE = new RegExp(`^ℹ (${COUNTS.join('|')}|duration_ms) ([\\d.]+)$`, 'gm');
/** @type {Record<string, number>} */
const totals = Object.fromEntries(COUNTS.map((c) => [c, 0]));
/** @type {Outcome[]} */
const outcomes = [];
const t0 = performance.now();

/** @param {Outcome} o prints one run's output, its own summary lines taken out and added to the totals */
function report(o) {
  outcomes.push(o);
  for (const [, key, value] of o.out.matchAll(COUNT_LINE))
    if (key !== 'duration_ms') totals[key] += Number(value);
  const verdict = o.code === 0 ? 'passed' : `FAILED (exit ${o.code})`;
  const cpu = o.cpu === undefined ? '' : `, ${o.cpu.toFixed(1)} s CPU`;
  process.stdout.write(
    `── ${o.name}: ${verdict} in ${o.seconds.toFixed(1)} s${cpu} [${outcomes.length}/${total}]\n`,
  );
  process.stdout.write(o.out.replace(COUNT_LINE, '').replace(/\n{2,}$/, '\n'));
}

let total = pooled.length + aside.length;

/**
 * The member files of a group run whose result line (`✔ test/unit/….test.ts (…ms)`, or `✖`) is not
 * in its output. A group process has been seen to end with exit 0 halfway through a file, its last
 * files never run (node:test with --test-force-exit, on a loaded machine): what it did not report is
 * run again, each file on its own, so that no file passes without having run.
 * @param {string} file @param {string} out @returns {string[]}
 */
function unreported(file, out) {
  const members = groupMembers.get(file) ?? [];
  return members.filter((m) => {
    const name = m
      .split(sep)
      .join('/')
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return !new RegExp(`^[✔✖] ${name} \\(`, 'm').test(out);
  });
}
// One a core, two at least and four at most: the files were written to run two at a time, and more at
// once on a many-core machine would try them against each other's ports and namespaces untested.
const base = Math.min(4, Math.max(2, availableParallelism()));
const most = base + 2;
const beside = Promise.all(aside.map(run));
const timeline = new SlotTimeline();
let lastTick = performance.now();
await new Promise((/** @type {(v?: unknown) => void} */ finished) => {
  const queue = [...pooled];
  /** Samples of the machine's CPU time, the oldest first: the window the next start looks at. */
  const samples = [sampleCpu()];
  const WINDOW = 6;
  let running = 0;
  let lastStart = -Infinity;
  const next = () => {
    while (queue.length > 0) {
      const free = freeShare(/** @type {import('./test-slots.mjs').CpuSample} */ (samples[0]), sampleCpu());
      const now = performance.now();
      if (!mayStart({ running, base, most, free, sinceStartMs: now - lastStart })) break;
      const file = /** @type {string} */ (queue.shift());
      running++;
      lastStart = now;
      void run(file).then((o) => {
        running--;
        const missing = o.code === 0 ? unreported(file, o.out) : [];
        if (missing.length > 0) {
          o.out += `note: this group did not report ${missing.join(', ')}; each runs again on its own\n`;
          queue.push(...missing);
          total += missing.length;
        }
        report(o);
        next();
      });
    }
    if (queue.length === 0 && running === 0) {
      clearInterval(timer);
      finished();
    }
  };
  // Every half second: the window moves on, and a slot may have come free by the machine going idle.
  const timer = setInterval(() => {
    const before = /** @type {import('./test-slots.mjs').CpuSample} */ (samples.at(-1));
    const now = sampleCpu();
    const free = freeShare(before, now);
    const at = performance.now();
    if (free !== undefined) timeline.record(running, 1 - free, at - lastTick);
    lastTick = at;
    samples.push(now);
    if (samples.length > WINDOW) samples.shift();
    next();
  }, 500);
  next();
});
for (const o of await beside) report(o);

const failed = outcomes.filter((o) => o.code !== 0);
const browserCost = await browser?.close();
console.log(`\n${slowestReport(outcomes).join('\n')}`);
if (browserCost) console.log(browserLine(browserCost, outcomes));
console.log(timeline.summary());
for (const c of COUNTS) console.log(`ℹ ${c} ${totals[c]}`);
console.log(
  `ℹ files ${outcomes.length}, failed ${failed.length}; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
// Last, so that the tail CI keeps of a long run says which tests failed and why, not only which files.
for (const o of failed) console.log(`\n✖ ${o.name}:\n${failureDigest(o.out).join('\n')}`);
if (failed.length > 0) console.log(`\n✖ failed: ${failed.map((o) => o.name).join(', ')}`);
rmSync(home, { recursive: true, force: true });
rmSync(runTmp, { recursive: true, force: true });
rmSync(groupsDir, { recursive: true, force: true });
if (transpiled) rmSync(transpiled.mirror, { recursive: true, force: true });
process.exit(failed.length === 0 ? 0 : 1);
