/**
 * `--since` of `clawbridge log` and `audit.list`: a duration back from now (`30m`, `1h`, `2d`) or an
 * ISO time (`2026-11-23T10:00:00Z`, `2026-11-23`).
 */
import { parseDuration } from '../core/duration.js';
import { ClawError } from '../core/errors.js';

/** The moment `input` names, in ms since the epoch. @throws ClawError('BAD_ARGUMENT') */
export function parseSince(input: string, now = Date.now()): number {
  const trimmed = input.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isNaN(ms)) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `--since '${input}' is not a time; write it like 2026-11-23T10:00:00Z`,
      );
    }
    return ms;
  }
  return now - parseDuration(trimmed, '--since');
}
