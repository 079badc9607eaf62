#!/usr/bin/env node
// Runs npm scripts side by side and fails when any of them fails. `npm test` runs it as
//
//   run-side-by-side.mjs lint-and-typecheck security --then build:if-changed test:only
//
// The scripts before `--then` (the checks) run side by side at the lowest CPU priority (nice 19), each
// one's output held and printed whole once the run is over, so no two scripts' lines interleave. The
// scripts after `--then` run one after another at normal priority, their output as it comes, and stop at
// the first that fails. Nothing a check reads is written by the others (eslint and prettier skip dist/,
// the type check emits nothing, the tests write under the temp directory and test-results/, which
// prettier skips as .gitignore does). On two cores eslint alone took 125 s of the 131 s that lint,
// typecheck and build took side by side, one core idle after build and typecheck were done, and the
// tests waited for it; the tests leave CPU idle too (they wait on processes, sockets and timers). At
// nice 19 the checks take what the build and the tests leave, instead of holding them up: at nice 10
// they still had a tenth of a core the tests wanted (Linux weighs nice 10 at 110 against 1024, nice 19
// at 15), enough to push the tests' timing-sensitive parts over their bounds (ADR 0109).
// Without `--then` every script runs side by side at normal priority, held as above.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

const args = process.argv.slice(2);
const split = args.indexOf('--then');
const checks = split === -1 ? args : args.slice(0, split);
const sequence = split === -1 ? [] : args.slice(split + 1);
if (checks.length + sequence.length === 0 || (split !== -1 && sequence.length === 0)) {
  console.error(
    'usage: node scripts/run-side-by-side.mjs SCRIPT [SCRIPT…] [--then SCRIPT…] (npm scripts of package.json)',
  );
  process.exit(2);
}
const windows = process.platform === 'win32';
const npm = windows ? 'npm.cmd' : 'npm';
/** Niceness of the checks when something runs in the foreground after `--then` (POSIX `nice`). */
const CHECKS_NICE = 19;
const lowered = sequence.length > 0 && !windows;
const seconds = (/** @type {number} */ t0) => ((performance.now() - t0) / 1000).toFixed(0);

console.log(
  sequence.length > 0
    ? `running ${checks.join(', ')}${lowered ? ` at nice ${CHECKS_NICE}` : ''} beside ${sequence.join(', then ')}…`
    : `running ${checks.join(', ')} side by side…`,
);

/** The checks still running (their `nice` processes, which become npm). */
/** @type {Set<number>} */
const running = new Set();

/**
 * Once the sequence is over nothing is left to give way to: the checks still running go back to
 * normal priority, so that on a machine busy with other work they are not held back at nice 19.
 * Best effort: Linux (their processes found through /proc), and raising a priority back needs the
 * privilege CI runs with; without it they finish at nice 19.
 */
function restorePriority() {
  if (!lowered || running.size === 0 || process.platform !== 'linux') return;
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // ended meanwhile
    }
  }
  const todo = [...running];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    try {
      setPriority(pid, 0);
    } catch {
      // ended meanwhile, or not allowed
    }
    todo.push(...(children.get(pid) ?? []));
  }
}

/** Output of the checks that ended while the sequence still ran, printed once it is over. */
/** @type {Buffer[]} */
const deferred = [];
let sequenceRunning = sequence.length > 0;

/** @param {string} name @returns {Promise<boolean>} */
function check(name) {
  const t0 = performance.now();
  const [cmd, argv] = lowered
    ? ['nice', ['-n', String(CHECKS_NICE), npm, 'run', '-s', name]]
    : [npm, ['run', '-s', name]];
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], shell: windows });
    if (child.pid !== undefined) running.add(child.pid);
    /** @type {Buffer[]} */
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    const end = (/** @type {string} */ how, /** @type {boolean} */ ok) => {
      if (child.pid !== undefined) running.delete(child.pid);
      const head = `── ${name}: ${how} after ${seconds(t0)} s\n`;
      if (sequenceRunning) {
        // One line now (the tests' lines are whole, so it does not cut one); the output at the end.
        process.stdout.write(`${head.trimEnd()} (its output follows at the end)\n`);
        deferred.push(Buffer.from(head), ...out);
      } else {
        process.stdout.write(head);
        process.stdout.write(Buffer.concat(out));
      }
      resolve(ok);
    };
    child.on('error', (err) => end(`could not start (${err.message})`, false));
    child.on('close', (code, signal) =>
      end(code === 0 ? 'passed' : `failed (${signal ?? `exit ${code}`})`, code === 0),
    );
  });
}

/** Runs the scripts after `--then` one after another, output as it comes; the names that failed. */
async function runSequence() {
  for (const name of sequence) {
    const t0 = performance.now();
    const code = await new Promise((resolve) => {
      const child = spawn(npm, ['run', '-s', name], { stdio: 'inherit', shell: windows });
      child.on('error', (err) => {
        console.error(`── ${name}: could not start (${err.message})`);
        resolve(1);
      });
      child.on('close', (c, signal) => resolve(signal ? 1 : c));
    });
    console.log(`── ${name}: ${code === 0 ? 'passed' : `failed (exit ${code})`} after ${seconds(t0)} s`);
    if (code !== 0) return [name];
  }
  return [];
}

const checked = Promise.all(checks.map(check));
const sequenceFailed = await runSequence();
sequenceRunning = false;
restorePriority();
if (deferred.length > 0) process.stdout.write(Buffer.concat(deferred));
const results = await checked;
const failed = [...checks.filter((_, i) => !results[i]), ...sequenceFailed];
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exit(1);
}
