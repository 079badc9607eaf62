/**
 * Durations on the command line are written like `30s`, `10m`, `24h` (a bare number is seconds).
 */
import { ClawError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(input: string, flag = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(input);
  if (!m) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `${flag} '${input}' is not a duration; write it like 30s, 10m or 24h`,
    );
  }
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 's') as keyof typeof UNIT_MS];
  if (!Number.isFinite(ms) || ms > 365 * UNIT_MS.d) {
    throw new ClawError('BAD_ARGUMENT', `${flag} '${input}' is too long`);
  }
  return Math.round(ms);
}

export function formatDuration(ms: number): string {
  if (ms % UNIT_MS.h === 0 && ms >= UNIT_MS.h) return `${ms / UNIT_MS.h}h`;
  if (ms % UNIT_MS.m === 0 && ms >= UNIT_MS.m) return `${ms / UNIT_MS.m}m`;
  return `${Math.round(ms / 1000)}s`;
}
