/**
 * Opening a stream while the path under it dies: a person who opens a terminal in the seconds before a
 * frozen direct path is judged dead should get it over the relay, not "the path is down". An OPEN whose
 * link closed before the peer answered goes once more on the peer's next path, when one comes up within
 * NEXT_PATH_WAIT_MS. Only an open without early data is tried again: early bytes were read from their
 * source already and would be missing from the second try.
 */
import { isClawError } from '../core/errors.js';
import type { ActivePath } from './ports.js';

/** Longest an open whose link died waits for the peer's next path, in ms (a dead path is judged in 2-3 s). */
export const NEXT_PATH_WAIT_MS = 10_000;
/** How often the wait looks for the next path, in ms. */
const LOOK_EVERY_MS = 50;

export interface NextPathDeps<T> {
  /** The path new streams use now. @throws as activePath does (PEER_OFFLINE). */
  active(): ActivePath;
  /** The path in use now, or undefined while there is none (never throws). */
  current(): ActivePath | undefined;
  open(path: ActivePath): Promise<T>;
  /** The open carries early data (not tried again). */
  early: boolean;
  waitMs?: number;
}

export async function openOnNextPath<T>(deps: NextPathDeps<T>): Promise<{ value: T; path: ActivePath }> {
  const first = deps.active();
  try {
    return { value: await deps.open(first), path: first };
  } catch (err) {
    if (deps.early || !isClawError(err, 'LINK_CLOSED')) throw err;
    const next = await nextPath(deps, first, deps.waitMs ?? NEXT_PATH_WAIT_MS);
    if (!next) throw err;
    return { value: await deps.open(next), path: next };
  }
}

/** The peer's next open path after `dead`, once there is one; undefined after `waitMs`. */
async function nextPath<T>(
  deps: NextPathDeps<T>,
  dead: ActivePath,
  waitMs: number,
): Promise<ActivePath | undefined> {
  const until = Date.now() + waitMs;
  for (;;) {
    const now = deps.current();
    if (now && now.mux !== dead.mux && !now.mux.closed) return now;
    if (Date.now() >= until) return undefined;
    await new Promise((r) => setTimeout(r, LOOK_EVERY_MS));
  }
}
