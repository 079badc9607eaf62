/**
 * The terminal domain's settings in config.json (ADR 0093): how long a session served here waits for
 * its client, and how long one the window opened is kept with no viewer. Its contract piece brings
 * them (`settings`), so the node's settings schema and `settings.set` take them without naming them.
 * Pure, no zod (handed over): the piece loads this, and a client loads the piece without zod.
 */
import type { Zod } from '../api/contract-piece.js';

/** Bounds of terminalResumeMs (and of `agent --terminal-resume`): 1 s to 24 h. */
export const TERMINAL_RESUME_MIN_MS = 1_000;
/** The terminal resume window when none is set, in ms (60 s). */
export const TERMINAL_RESUME_DEFAULT_MS = 60_000;
export const TERMINAL_RESUME_MAX_MS = 24 * 60 * 60 * 1000;

/**
 * How long a terminal session this node keeps open on a peer for the window lives with no viewer, in
 * ms, when none is set (24 h): a window closed at the end of a day finds its shells the next morning,
 * yet a shell nobody comes back to does not stay open on the peer (and count against its 64) for ever.
 */
export const DETACHED_TERMINAL_IDLE_DEFAULT_MS = 24 * 60 * 60 * 1000;
/** Bounds of detachedTerminalIdleMs: 1 min (longer than any reload takes) to 30 days. */
export const DETACHED_TERMINAL_IDLE_MIN_MS = 60 * 1000;
export const DETACHED_TERMINAL_IDLE_MAX_MS = 30 * 24 * 60 * 60 * 1000;

/** Milliseconds within bounds, saying them in words (`1 s`, `24 h`) and what was given. */
const boundedMs = (z: Zod, [min, minWords]: [number, string], [max, maxWords]: [number, string]) =>
  z
    .number()
    .int()
    .refine((ms) => ms >= min && ms <= max, {
      error: (issue) =>
        `must be from ${min} (${minWords}) to ${max} (${maxWords}) ms, got ${String(issue.input)}`,
    });

/**
 * How long a terminal session served here waits for its client after the stream is lost (path
 * switch, relay outage), in ms. This node's own sessions on its peers keep trying to resume for as
 * long, and at least TERMINAL_RESUME_DEFAULT_MS (the peer's window, not this one, decides there).
 */
const terminalResumeMs = (z: Zod) =>
  boundedMs(z, [TERMINAL_RESUME_MIN_MS, '1 s'], [TERMINAL_RESUME_MAX_MS, '24 h']);

/**
 * How long a terminal session opened here from the window (it outlives its viewer, ADR 0008) is kept
 * with no window or `term` attached, in ms; then it is hung up.
 */
const detachedTerminalIdleMs = (z: Zod) =>
  boundedMs(z, [DETACHED_TERMINAL_IDLE_MIN_MS, '1 min'], [DETACHED_TERMINAL_IDLE_MAX_MS, '30 days']);

/** The piece's `settings`: both single values, changed with `settings.set`. */
export const terminalSettings = {
  terminalResumeMs: {
    option: (z: Zod) => terminalResumeMs(z).default(TERMINAL_RESUME_DEFAULT_MS),
    set: terminalResumeMs,
  },
  detachedTerminalIdleMs: {
    option: (z: Zod) => detachedTerminalIdleMs(z).default(DETACHED_TERMINAL_IDLE_DEFAULT_MS),
    set: detachedTerminalIdleMs,
  },
};
