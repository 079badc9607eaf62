// @ts-check
// What each test file cost, for the report scripts/run-tests.mjs prints at the end of a run: its wall
// time, and its CPU time with every process it started. The CPU is read from the runner's own
// /proc/self/stat: `cutime + cstime` are the CPU seconds of the children the runner has reaped, each
// with the children *it* reaped, so the rise across one file's reaping is that file's whole tree.
// What that misses: a process the file started and did not wait for (one still running when
// `--test-force-exit` ended the file, a daemon that detached) is reparented to init and its CPU is
// nobody's; a file that ran into run-tests' FILE_TIMEOUT_MS has its process killed and not waited for (its
// figure reads near 0); and two files reaped in one pass of the event loop rise together (the first gets both:
// the report says which were reaped with which).

import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** How many ten slowest: the ones the report lists by wall time and by CPU. */
export const SLOWEST = 10;

/**
 * @param {string} stat the text of /proc/PID/stat
 * @returns {number} the clock ticks of the process's reaped children (cutime + cstime)
 */
export function reapedTicks(stat) {
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself: the
  // fields are counted from the last ')'. After it come field 3 (state) on; cutime is 16, cstime 17.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cutime = Number(rest[16 - 3]);
  const cstime = Number(rest[17 - 3]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) throw new Error(`not a /proc stat line: ${stat}`);
  return cutime + cstime;
}

/** @returns {number} clock ticks a second (USER_HZ), 100 where getconf is missing */
export function ticksPerSecond() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** @returns {(() => number) | undefined} this process's reaped children's CPU seconds, undefined off Linux */
export function reapedCpuReader() {
  try {
    readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined;
  }
  const hz = ticksPerSecond();
  return () => reapedTicks(readFileSync('/proc/self/stat', 'utf8')) / hz;
}

/**
 * @typedef {object} Reaped
 * @property {number} cpu CPU seconds the reaped-children total rose by at this reaping
 * @property {string[]} reapedWith names reaped in the same pass, whose CPU this figure holds too
 * @property {string} [countedIn] the name reaped first in its pass, whose figure holds this one's CPU
 */

/**
 * Turns readings taken as each file's process is reaped into each file's CPU. Node reaps the children
 * that ended in one pass and then runs their exit handlers one after another: the first reading
 * already holds all of them and the others read no rise. A pass is told by `turn`, a number the caller
 * moves on once the event loop has (setImmediate): readings in one turn are one pass.
 * @param {number} start the reading before any file ran
 */
export function cpuLedger(start) {
  let last = start;
  /** @type {{ turn: number, name: string, first: Reaped } | undefined} */
  let pass;
  return {
    /**
     * @param {string} name the file reaped
     * @param {number} reading reaped-children CPU seconds now
     * @param {number} turn the event loop's turn now
     * @returns {Reaped} this file's figure; a later reaping in the same turn adds itself to the first's `reapedWith`
     */
    reaped(name, reading, turn) {
      const cpu = Math.max(0, reading - last);
      last = reading;
      /** @type {Reaped} */
      const r = { cpu, reapedWith: [] };
      if (pass && pass.turn === turn) {
        pass.first.reapedWith.push(name);
        r.countedIn = pass.name;
      } else pass = { turn, name, first: r };
      return r;
    },
  };
}

/**
 * @typedef {object} Cost
 * @property {string} name a file, or a group of unit files
 * @property {number} seconds wall time
 * @property {number | undefined} cpu CPU seconds of its whole tree, undefined where not measured
 * @property {string[]} [reapedWith] files whose CPU its figure holds too
 * @property {string} [countedIn] the file whose figure holds its CPU
 */

/**
 * @param {Cost[]} costs every file's
 * @param {number} [n]
 * @returns {string[]} the report: the n slowest by wall time, then by CPU, one line each
 */
export function slowestReport(costs, n = SLOWEST) {
  const line = (/** @type {Cost} */ c) => {
    const cpu =
      c.cpu === undefined
        ? 'CPU not measured'
        : c.countedIn
          ? `CPU counted in ${c.countedIn}'s`
          : `${c.cpu.toFixed(1)} s CPU`;
    const also = c.reapedWith?.length ? ` (reaped with ${c.reapedWith.join(', ')})` : '';
    return `  ${c.name}: ${c.seconds.toFixed(1)} s wall, ${cpu}${also}`;
  };
  const byWall = [...costs].sort((x, y) => y.seconds - x.seconds).slice(0, n);
  const measured = costs.filter((c) => c.cpu !== undefined);
  const byCpu = [...measured].sort((x, y) => (y.cpu ?? 0) - (x.cpu ?? 0)).slice(0, n);
  const cpuTotal = measured.reduce((sum, c) => sum + (c.cpu ?? 0), 0);
  return [
    `the ${byWall.length} slowest files by wall time:`,
    ...byWall.map(line),
    ...(measured.length === 0
      ? ['(CPU per file is read from /proc: not measured here)']
      : [
          `the ${byCpu.length} slowest files by CPU (all files: ${cpuTotal.toFixed(0)} CPU s):`,
          ...byCpu.map(line),
        ]),
  ];
}
