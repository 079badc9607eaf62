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

/**
 * Where a run's time went by how many files ran at once, and how busy the machine was meanwhile: the
 * line the runner prints at its end, so that a slow run says whether it waited on CPU or on itself.
 */
export class SlotTimeline {
  /** @type {Map<number, { ms: number, busyMs: number }>} by files running */
  #spans = new Map();

  /** @param {number} running files running over the span @param {number} busy share of CPU time busy in it (0 to 1) @param {number} ms its length */
  record(running, busy, ms) {
    const span = this.#spans.get(running) ?? { ms: 0, busyMs: 0 };
    span.ms += ms;
    span.busyMs += busy * ms;
    this.#spans.set(running, span);
  }

  /** @returns {string} e.g. `files at once: 2 for 640 s (machine 91 % busy), …; in all the machine was 93 % busy` */
  summary() {
    const spans = [...this.#spans].sort(([a], [b]) => a - b);
    if (spans.length === 0) return 'files at once: the run was over before the first sample';
    const all = spans.reduce((t, [, s]) => ({ ms: t.ms + s.ms, busyMs: t.busyMs + s.busyMs }), {
      ms: 0,
      busyMs: 0,
    });
    const pct = (/** @type {{ ms: number, busyMs: number }} */ s) =>
      Math.round((100 * s.busyMs) / Math.max(1, s.ms));
    const parts = spans.map(([n, s]) => `${n} for ${Math.round(s.ms / 1000)} s (machine ${pct(s)} % busy)`);
    return `files at once: ${parts.join(', ')}; in all the machine was ${pct(all)} % busy`;
  }
}
