/**
 * The soak's verdict on memory and fd growth (soak/run.ts), pure so it can be tested.
 *
 * RSS is judged on its floor, not its last sample: V8 grows its heap lazily and gives it back in its
 * own time, so a process without any leak shows a sawtooth (measured in a 60-minute run: 156 MiB at
 * minute 2, 209 at minute 41, 184 at 45 without any help, the JS heap after a forced GC the same 28 MB
 * at minutes 47 and 58). A leak lifts the floor; a late peak of the sawtooth does not. So the smallest
 * RSS of a process's first FLOOR_SAMPLES samples (from `fromMinute`) is compared with the smallest of
 * its last FLOOR_SAMPLES. fds have no such sawtooth: first and last samples are compared.
 */

/** Fails when a process's RSS floor grows more than this fraction from minute 2 to the end. */
export const RSS_GROWTH_BOUND = 0.3;
/** Fails when a process's open fds grow by more than this from minute 2 to the end. */
export const FD_GROWTH_BOUND = 20;
/** Samples (minutes) each floor is the minimum of: about one full GC cycle under the soak's load. */
export const FLOOR_SAMPLES = 5;

export interface ProcSample {
  pid: number;
  rssMiB: number;
  fds: number;
}

export interface MinuteSample {
  minute: number;
  a?: ProcSample;
  b?: ProcSample;
  relay?: ProcSample;
}

const floor = (list: readonly ProcSample[]) => Math.min(...list.map((s) => s.rssMiB));

/**
 * Growth of each process from its samples at minute ≥ `fromMinute` (2; 1 in runs under 3 minutes,
 * which have no later minute to compare with), per PID (b's PID changes at each kill -9; an
 * incarnation sampled once has nothing to compare). One line per problem; none when all is flat.
 */
export function growthProblems(samples: readonly MinuteSample[], fromMinute: number): string[] {
  const problems: string[] = [];
  for (const who of ['a', 'b', 'relay'] as const) {
    const byPid = new Map<number, ProcSample[]>();
    for (const s of samples) {
      const p = s[who];
      if (s.minute >= fromMinute && p) byPid.set(p.pid, [...(byPid.get(p.pid) ?? []), p]);
    }
    for (const [pid, list] of byPid) {
      if (list.length < 2) continue;
      const first = floor(list.slice(0, FLOOR_SAMPLES));
      const last = floor(list.slice(-FLOOR_SAMPLES));
      if (last > first * (1 + RSS_GROWTH_BOUND))
        problems.push(
          `${who} (pid ${pid}) RSS floor ${first.toFixed(0)} → ${last.toFixed(0)} MiB (smallest of the first and last ${FLOOR_SAMPLES} minutes)`,
        );
      const fds = list.at(-1)!.fds - list[0]!.fds;
      if (fds > FD_GROWTH_BOUND)
        problems.push(`${who} (pid ${pid}) fds ${list[0]!.fds} → ${list.at(-1)!.fds}`);
    }
  }
  return problems;
}
