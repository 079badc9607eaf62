/**
 * Waits for the machine to settle before the bench starts. `npm run bench` builds first, and the
 * build alone leaves the 1-minute load average above 1.5 on 2 cores; measuring right away made every
 * run start on a busy machine (and say so). Waits while the load average is above half the cores, at
 * most SETTLE_MAX_MS; pure apart from the clock and the load it is given, unit-tested.
 */

/**
 * Longest wait for the load to settle, in ms. 45 s: the build's own load (the reason to wait) falls
 * ~63 % a minute, so most of it is gone by then; a machine still busy after that is busy with other
 * work, which waiting longer does not fix and the run's note reports. It was 90 s until the emulated
 * sections made the run's 10-minute budget tight (issue 29).
 */
export const SETTLE_MAX_MS = 45_000;
/** Pause between two looks at the load average, in ms. */
export const SETTLE_POLL_MS = 5_000;

export interface SettleDeps {
  /** The 1-minute load average now. */
  load(): number;
  cores: number;
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
  maxMs?: number;
}

/** Resolves with the load average it finally saw: at most cores / 2, or whatever it was after maxMs. */
export async function settle(deps: SettleDeps): Promise<number> {
  const limit = deps.cores / 2;
  const deadline = deps.now() + (deps.maxMs ?? SETTLE_MAX_MS);
  let load = deps.load();
  if (load <= limit) return load;
  deps.log(`waiting for the load average (${load.toFixed(2)}) to fall to ${limit.toFixed(1)}…`);
  while (load > limit && deps.now() < deadline) {
    await deps.sleep(Math.min(SETTLE_POLL_MS, Math.max(0, deadline - deps.now())));
    load = deps.load();
  }
  return load;
}
