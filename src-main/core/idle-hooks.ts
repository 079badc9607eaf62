/**
 * How libraries take part in a process's idle trim without knowing how a process is tuned: a pool
 * registers what it can give back (releaseWhenIdle), and a part that knows a burst just ended asks for a
 * trim (requestIdleTrim). The trim itself — V8 flags, full collections — is runtime/idle-trim.ts, which
 * only entry points import; it reads the releasers here and installs itself as the trimmer. A process
 * whose entry point installed nothing (a test, a library user) trims nothing, and the requests are no-ops.
 */

/** Something that can give memory back: returns the bytes it let go of (0: nothing). */
export interface IdleReleaser {
  releaseIdle(): number;
}

/** What one trim did. */
export interface TrimOutcome {
  releasedBytes: number;
  collected: boolean;
}

/** A process goes quiet after this long without a collection, in ms (10 s); runtime/idle-trim.ts waits as long. */
export const IDLE_TRIM_AFTER_MS = 10_000;

/** Weakly held: a pool that is gone does not stay alive for the trim's sake. */
const releasers = new Set<WeakRef<IdleReleaser>>();

/** Asks the trim to call `r.releaseIdle()` whenever the process goes quiet. */
export function releaseWhenIdle(r: IdleReleaser): void {
  releasers.add(new WeakRef(r));
}

/** Calls every releaser; the bytes they let go of. */
export function releaseAllIdle(): number {
  let bytes = 0;
  for (const ref of releasers) {
    const r = ref.deref();
    if (r) bytes += r.releaseIdle();
    else releasers.delete(ref);
  }
  return bytes;
}

let trimmer: (() => TrimOutcome) | undefined;

/** Installed by the runtime of an entry point (runtime/idle-trim.ts); undefined uninstalls it (tests). */
export function installTrimmer(trim: (() => TrimOutcome) | undefined): void {
  trimmer = trim;
}

/** Trims now if the process's entry point installed a trimmer: empties the pools and, when worth it, collects. */
export function requestIdleTrim(): TrimOutcome {
  if (trimmer) return trimmer();
  return { releasedBytes: releaseAllIdle(), collected: false };
}
