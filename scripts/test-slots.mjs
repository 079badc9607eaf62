// When scripts/run-tests.mjs may start another test file. A fixed two at a time left a quarter of the two
// cores idle over a full run (user+sys 22.4 CPU-min in 15.2 min of wall): integration and browser tests
// spend much of their time waiting on processes, sockets and timers. So the runner keeps `base` files
// running (one per core, two at least), and starts one more, up to `most`, only while the machine has
// been mostly idle for a few seconds: a busy machine (CI, or a developer's other work) gets no more
// contention than before, an idle one gets used. CPU given to niced processes counts as busy: the checks
// `npm test` runs beside the tests (lint, typecheck at nice 10) would give way to more files, and eslint,
// one process, would then run alone at the end on one core; so extra files wait until they are done.
import { cpus } from 'node:os';

/** Share of all CPU time idle over the window at or above which one more file starts. */
export const FREE_TO_ADD = 0.35;
/** How long after a start before the next extra one: the file just started must show up in the figures. */
export const SETTLE_MS = 3000;

/**
 * @typedef {object} SlotState
 * @property {number} running files running now (the soak, which runs beside them, not counted)
 * @property {number} base files always allowed at once
 * @property {number} most files never exceeded
 * @property {number | undefined} free share of CPU time free over the last window, undefined before a window
 * @property {number} sinceStartMs since the last file started
 */

/** @param {SlotState} s @returns {boolean} whether one more file may start now */
export function mayStart(s) {
  if (s.running < s.base) return true;
  if (s.running >= s.most || s.free === undefined) return false;
  return s.free >= FREE_TO_ADD && s.sinceStartMs >= SETTLE_MS;
}

/**
 * @typedef {object} CpuSample
 * @property {number} idle ms of CPU time idle, all CPUs together
 * @property {number} total ms of CPU time, all CPUs together
 */

/** @returns {CpuSample} the machine's CPU time so far (os.cpus(): /proc/stat on Linux); bench/settle.ts reads it too */
export function sampleCpu() {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/** @param {CpuSample} before @param {CpuSample} after @returns {number | undefined} share idle between them */
export function freeShare(before, after) {
  const total = after.total - before.total;
  return total > 0 ? (after.idle - before.idle) / total : undefined;
}
