/**
 * Waits for the machine to settle before the bench starts. `npm run bench` builds first, and measuring
 * while the build (or anything else) still runs made every run start on a busy machine. Waits while
 * the CPUs were busy more than SETTLED_BUSY_SHARE of the last second, at most SETTLE_MAX_MS.
 *
 * It looks at what the CPUs did over the last second, not at the load average: the 1-minute load
 * average decays with a 60 s time constant, so after a 40 s build on 2 cores it stays above 1 for
 * ~30 s of a machine that is already idle; waiting on it cost every run ~35 s of its 10-minute budget
 * (issue 29) and told nothing about the sections, whose own previous section raised it.
 * Pure apart from the clock and the CPU counters it is given, unit-tested.
 */
import { sampleCpu, type CpuSample } from '../scripts/test-slots.mjs';

/** Longest wait for the CPUs to go quiet, in ms: a machine still busy after that has other work. */
export const SETTLE_MAX_MS = 45_000;
/** Span of one look at the CPUs, in ms. */
export const SETTLE_SAMPLE_MS = 1_000;
/**
 * Share of all CPUs' time that may be busy for the machine to count as quiet (0.25: on 2 cores, half a
 * core of background work; an idle development machine reads 1–5 %, a build 90–100 %).
 */
export const SETTLED_BUSY_SHARE = 0.25;

/** Cumulative CPU time of all cores, any unit: how much of it was idle, and all of it. */
export type CpuTimes = CpuSample;

export interface SettleDeps {
  /** The CPUs' cumulative times now (os.cpus() summed, in real use). */
  cpuTimes(): CpuTimes;
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
  maxMs?: number;
}

/** Share of the CPUs' time that was not idle between two readings (0 when no time passed). */
export function busyShare(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  return Math.min(1, Math.max(0, 1 - (after.idle - before.idle) / total));
}

/** All cores' cumulative times from the OS, in ms: the test runner's reading (scripts/test-slots.mjs). */
export const osCpuTimes: () => CpuTimes = sampleCpu;

/**
 * Resolves with the busy share of the last second it looked at: at most SETTLED_BUSY_SHARE, or
 * whatever it was when maxMs ran out.
 */
export async function settle(deps: SettleDeps): Promise<number> {
  const deadline = deps.now() + (deps.maxMs ?? SETTLE_MAX_MS);
  let said = false;
  for (;;) {
    const before = deps.cpuTimes();
    await deps.sleep(SETTLE_SAMPLE_MS);
    const busy = busyShare(before, deps.cpuTimes());
    if (busy <= SETTLED_BUSY_SHARE || deps.now() >= deadline) return busy;
    if (!said) {
      deps.log(
        `waiting for the CPUs to go quiet (${percent(busy)} busy; starting at ${percent(SETTLED_BUSY_SHARE)} or less)…`,
      );
      said = true;
    }
  }
}

/** A share as a whole percentage, for the bench's lines. */
export function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}
