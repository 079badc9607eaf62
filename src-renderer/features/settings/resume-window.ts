/**
 * The terminal resume window as Settings asks for it: in seconds, while the agent takes and checks
 * milliseconds. The window checks the range itself so the error is in the field's unit; the agent
 * checks again. Pure, so it is unit-tested (the test also pins these bounds to the agent's).
 */

/** Shortest resume window, in seconds (1): the agent's TERMINAL_RESUME_MIN_MS. */
export const RESUME_MIN_S = 1;
/** Longest resume window, in seconds (86400, 24 h): the agent's TERMINAL_RESUME_MAX_MS. */
export const RESUME_MAX_S = 24 * 60 * 60;

/** What was typed in the seconds field: the milliseconds to save, or what is wrong, in seconds. */
export function parseResumeSeconds(text: string): { ms: number } | { error: string } {
  const trimmed = text.trim();
  const seconds = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(seconds)) {
    return { error: `Enter a number of seconds from ${RESUME_MIN_S} to ${RESUME_MAX_S} (24 h)` };
  }
  if (seconds < RESUME_MIN_S || seconds > RESUME_MAX_S) {
    return { error: `Must be from ${RESUME_MIN_S} to ${RESUME_MAX_S} seconds (24 h), got ${trimmed}` };
  }
  return { ms: Math.round(seconds * 1000) };
}
